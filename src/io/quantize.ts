/**
 * Weight quantization in TensorFlow.js's own weight-manifest format, the one
 * tensorflowjs_converter's --quantize_float16 / --quantize_uint8 write: each manifest entry
 * keeps its float32 dtype and gains `quantization: {dtype, min?, scale?}`, and tfjs's
 * `decodeWeights` turns the stored values back into float32 on load. So a quantized model
 * loads with plain `tf.loadLayersModel`, no code of this project needed.
 */
import * as tf from '@tensorflow/tfjs';
import { Float16Array } from '@petamoriken/float16';

/** The storage types tfjs can dequantize that we write. */
export type QuantizeDtype = 'float16' | 'uint8';

/** True for the names `--quantize` accepts. */
export function isQuantizeDtype(x: unknown): x is QuantizeDtype {
  return x === 'float16' || x === 'uint8';
}

function elementCount(spec: tf.io.WeightsManifestEntry): number {
  return spec.shape.reduce((a, b) => a * b, 1);
}

/**
 * uint8 affine quantization of one tensor, as tfjs's converter: `scale = (max - min) / 255`,
 * stored `q = round((x - min) / scale)`, read back as `min + q * scale`. The range is widened
 * to include 0 so zeros (padding, unused biases) stay exactly zero.
 */
function quantizeUint8(values: Float32Array): { bytes: Uint8Array; min: number; scale: number } {
  let min = 0,
    max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scale = max > min ? (max - min) / 255 : 1;
  // Nudge min so that 0 falls on an exact step.
  const zeroPoint = Math.round(-min / scale);
  min = -zeroPoint * scale;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.round((values[i] - min) / scale)));
  return { bytes, min, scale };
}

/**
 * Whether uint8 storage keeps this float32 tensor as float32: vectors (biases, BatchNorm's
 * gamma, beta, moving mean and variance) stay exact. One affine range per tensor suits a
 * kernel, whose values share a scale, but not a vector of per-channel statistics that spans
 * orders of magnitude: in the 11-epoch 48x48 model a moving variance ranged 0..1,770, one uint8
 * step was 6.9, every variance under 3.5 became 0, and BatchNorm then divided those channels by
 * sqrt(epsilon) instead of their spread (23% on the sample's PublicTest rows against the float
 * model's 54%). Vectors are under 1% of a ResNet-50's weights, so the bytes hardly change.
 */
function keepsFloat32(spec: tf.io.WeightsManifestEntry): boolean {
  return spec.shape.length < 2;
}

/**
 * Re-encodes float32 weights (specs + concatenated data, as model.save hands them over) into
 * `dtype`. Non-float32 tensors (int32 counters) are copied unchanged; for uint8, so are
 * float32 vectors (see keepsFloat32).
 */
export function quantizeWeights(
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  dtype: QuantizeDtype,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new Error(`quantizeWeights: weight ${spec.name} is already quantized`);
    const n = elementCount(spec);
    const bytes = spec.dtype === 'bool' ? n : 4 * n;
    if (offset + bytes > data.byteLength) throw new Error(`quantizeWeights: the data ends inside weight ${spec.name}`);
    if (spec.dtype !== 'float32' || (dtype === 'uint8' && keepsFloat32(spec))) {
      parts.push(new Uint8Array(data.slice(offset, offset + bytes)));
      out.push(spec);
    } else {
      const values = new Float32Array(data.slice(offset, offset + bytes));
      if (dtype === 'float16') {
        parts.push(new Uint8Array(Float16Array.from(values).buffer));
        out.push({ ...spec, quantization: { dtype: 'float16' } });
      } else {
        const { bytes: q, min, scale } = quantizeUint8(values);
        parts.push(q);
        out.push({ ...spec, quantization: { dtype: 'uint8', min, scale } });
      }
    }
    offset += bytes;
  }
  if (offset !== data.byteLength) throw new Error(`quantizeWeights: ${data.byteLength - offset} bytes after the last weight`);
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.byteLength;
  }
  return { specs: out, data: joined.buffer };
}
