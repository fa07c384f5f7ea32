/**
 * Loading a trained model for scoring, from either form the project knows: a TensorFlow.js
 * model (a folder with model.json, or the .json itself), which carries its own architecture,
 * or a Keras .h5 weights file, which does not, so the architecture is rebuilt first exactly as
 * the seed's FACIALModel did (200: Keras ResNet50 + the seed head; 48: raghakot's ResNet-50).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadKerasWeights } from './keras-h5';
import { loadModel } from './model-io';
import { MODELS, ModelKind } from '../models/registry';
import { findCompleteFolder } from '../files/leftovers';
import { ensureBackend } from '../engine/select';

/** Options of `loadTrainedModel`. */
export interface TrainedModelOptions {
  /** Input side the model was trained at. Required to rebuild from .h5 (default 200, as the seed's README command). */
  imageSize?: number;
  /** Architecture for a .h5 file; default resnet50 at 200 and resnet50-anysize otherwise, as the seed. */
  model?: ModelKind;
}

/** A loaded model and the facts the data loading depends on. */
export interface TrainedModel {
  model: tf.LayersModel;
  /** Input side of the model. */
  imageSize: number;
  /** 'tfjs' for a model.json, 'keras-h5' for weights loaded into a rebuilt architecture. */
  format: 'tfjs' | 'keras-h5';
}

/**
 * The first weight holding a NaN or an infinity, as 'layer (weight)', or null when all are finite.
 * One flag per weight is computed on the backend and read back once (asynchronously: WebGPU).
 */
export async function firstNonFiniteWeight(model: tf.LayersModel): Promise<string | null> {
  const where = model.layers.flatMap((layer) => layer.weights.map((w) => ({ layer, w })));
  if (where.length === 0) return null;
  const flags = tf.tidy(() => tf.stack(where.map(({ w }) => tf.cast(tf.logicalNot(tf.all(tf.isFinite(w.read()))), 'int32'))));
  const bad = await flags.data();
  flags.dispose();
  const i = bad.findIndex((b) => b !== 0);
  return i < 0 ? null : `layer ${where[i].layer.name} (weight ${where[i].w.originalName ?? where[i].w.name})`;
}

/** Throws, naming `source` and the layer, when the model cannot give meaningful scores. */
async function checkFinite(model: tf.LayersModel, source: string): Promise<void> {
  const bad = await firstNonFiniteWeight(model);
  if (bad) {
    model.dispose();
    throw new Error(`${source}: the model's weights are not finite (NaN or infinity) in ${bad}; it was saved from a diverged training`);
  }
}

/** True for the extensions Keras writes HDF5 weights with. */
export function isKerasWeightsFile(file: string): boolean {
  return /\.(h5|hdf5|keras)$/i.test(file);
}

/**
 * Loads a model for inference. Errors name the path and, for a size mismatch, the flag.
 */
export async function loadTrainedModel(modelPath: string, opts: TrainedModelOptions = {}): Promise<TrainedModel> {
  await ensureBackend(); // the fastest backend, unless the caller chose one
  if (!fs.existsSync(modelPath) && !findCompleteFolder(modelPath)) throw new Error(`${modelPath}: no such model file or folder`);
  if (isKerasWeightsFile(modelPath)) {
    const imageSize = opts.imageSize ?? 200;
    const kind = opts.model ?? (imageSize === 200 ? 'resnet50' : 'resnet50-anysize');
    const model = MODELS[kind].build(imageSize);
    try {
      await loadKerasWeights(model, modelPath);
    } catch (err) {
      model.dispose();
      throw new Error(`${modelPath}: cannot load as ${kind} at ${imageSize}x${imageSize} (${(err as Error).message})`);
    }
    await checkFinite(model, modelPath);
    return { model, imageSize, format: 'keras-h5' };
  }
  const model = await loadModel(modelPath);
  await checkFinite(model, modelPath);
  const shape = model.inputs[0].shape;
  const side = shape[1];
  if (typeof side !== 'number') throw new Error(`${path.resolve(modelPath)}: model input [${shape}] has no fixed size`);
  if (opts.imageSize !== undefined && opts.imageSize !== side) {
    model.dispose();
    throw new Error(`--image_size ${opts.imageSize} does not match the model in ${modelPath}, whose input is ${side}x${side}`);
  }
  return { model, imageSize: side, format: 'tfjs' };
}

/** Loads initial weights: Keras .h5 by layer order, or a tfjs model folder / json of the same architecture. */
export async function loadInitialWeights(model: tf.LayersModel, file: string): Promise<void> {
  if (file.endsWith('.h5')) {
    await loadKerasWeights(model, file);
    return;
  }
  const src = await loadModel(file);
  try {
    const w = src.getWeights();
    if (
      w.length !== model.weights.length ||
      w.some((t: tf.Tensor, i: number) => !tf.util.arraysEqual(t.shape, model.weights[i].shape as number[]))
    ) {
      throw new Error(`${file}: its weights do not match this model's architecture (${w.length} vs ${model.weights.length} tensors)`);
    }
    model.setWeights(w);
  } finally {
    src.dispose();
  }
}
