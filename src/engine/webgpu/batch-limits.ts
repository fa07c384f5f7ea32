/**
 * Whether a batch fits the WebGPU device. Every tensor lives in one GPU buffer bound whole to a
 * shader, so the largest activation (batch x one image's layer output) must fit the device's
 * maxStorageBufferBindingSize (128 MiB on many adapters) and maxBufferSize; past them Dawn rejects
 * the buffer deep inside a kernel with an unhelpful validation error. Checked before the first step.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchLimit } from '../capabilities';
import type { DeviceLimits } from './activate';

const BYTES_PER_FLOAT = 4;

/** The layer whose output (or the model input) is largest per image, and its size in bytes. */
export function largestActivation(model: tf.LayersModel): { layer: string; bytesPerImage: number } {
  let best = { layer: 'input', bytesPerImage: 0 };
  const consider = (layer: string, shape: (number | null)[]) => {
    const per = shape.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1) * BYTES_PER_FLOAT;
    if (per > best.bytesPerImage) best = { layer, bytesPerImage: per };
  };
  for (const input of model.inputs) consider(input.name, input.shape);
  for (const layer of model.layers) {
    const shapes = layer.outputShape;
    const list = Array.isArray(shapes[0]) || shapes.length === 0 ? (shapes as (number | null)[][]) : [shapes as (number | null)[]];
    for (const s of list) consider(layer.name, s);
  }
  return best;
}

/** The largest batch of `model` that `limits` allow, and which limit and layer set it. */
export function batchLimit(model: tf.LayersModel, limits: DeviceLimits): BatchLimit {
  const { layer, bytesPerImage } = largestActivation(model);
  const binding = limits.maxStorageBufferBindingSize <= limits.maxBufferSize;
  const bytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  return {
    maxBatch: Math.max(0, Math.floor(bytes / bytesPerImage)),
    limit: binding ? 'maxStorageBufferBindingSize' : 'maxBufferSize',
    limitBytes: bytes,
    layer,
    bytesPerImage,
  };
}
