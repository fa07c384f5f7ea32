/**
 * What fine-tuning a trained model on your own classes needs: the class names a model answers
 * with (stored in its model.json's `userDefinedMetadata`, which plain tfjs loads and ignores), a
 * new head when the classes change (the body kept), and freezing the early stages for the first
 * epochs. Used by trainResnet50 when its data names its classes (loadFaceFolder's sources).
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { EMOTIONS } from '../data/emotions';
import { FastBatchNormalization } from './batch-normalization';

/** The number of classes a [N, k] classifier answers with. */
function outputClasses(model: tf.LayersModel): number {
  const shape = model.outputs[0].shape;
  const k = shape[shape.length - 1];
  if (shape.length !== 2 || typeof k !== 'number') throw new Error(`expected a classifier with output [N, classes], got [${shape}]`);
  return k;
}

/**
 * The class names of `model`'s outputs, in output order: those stored with it (setClassNames), else
 * FER2013's seven EMOTIONS for a 7-way model, else `class 0`, `class 1`, ...
 */
export function classNamesOf(model: tf.LayersModel): string[] {
  const k = outputClasses(model);
  const stored = (model.getUserDefinedMetadata() as { classNames?: unknown } | undefined)?.classNames;
  if (Array.isArray(stored) && stored.length === k && stored.every((s) => typeof s === 'string')) return stored as string[];
  return k === EMOTIONS.length ? [...EMOTIONS] : Array.from({ length: k }, (_, i) => `class ${i}`);
}

/** Stores `names` with `model` (saved into model.json's userDefinedMetadata.classNames by every save). */
export function setClassNames(model: tf.LayersModel, names: readonly string[]): void {
  const k = outputClasses(model);
  if (names.length !== k) throw new Error(`setClassNames: ${names.length} names for a model with ${k} outputs`);
  const meta = (model.getUserDefinedMetadata() as Record<string, unknown> | undefined) ?? {};
  model.setUserDefinedMetadata({ ...meta, classNames: [...names] });
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * `model` answering with `names`: itself when it already does, else its body with a new
 * softmax Dense for the new classes (seeded Glorot), in place of its last Dense (and the
 * Activation after it, as the Keras ResNet-50's seed head has). A new class named as one of the
 * old (case-insensitively) starts from that class's weights, so a folder of Happy / Sad /
 * confused keeps what the model knew of Happy and Sad. The returned model shares the body's
 * layers with `model`, whose old head is freed: use only the returned one.
 */
export function withClassHead(model: tf.LayersModel, names: readonly string[], seed = 0): tf.LayersModel {
  if (names.length < 2) throw new Error(`a classifier needs at least two classes, got ${names.length} (${names.join(', ')})`);
  const old = classNamesOf(model);
  if (same(old, names)) {
    setClassNames(model, names);
    return model;
  }
  const last = model.layers[model.layers.length - 1];
  let dense = last;
  let activation: tf.layers.Layer | null = null;
  if (last.getClassName() === 'Activation') {
    activation = last;
    dense = last.inboundNodes[0]?.inboundLayers[0];
  }
  if (!dense || dense.getClassName() !== 'Dense' || dense.inboundNodes.length !== 1) {
    throw new Error(`cannot give ${model.name} a new head: its output is not a Dense layer (optionally followed by an Activation)`);
  }
  const config = dense.getConfig();
  const head = tf.layers.dense({
    units: names.length,
    activation: config.activation as 'softmax',
    useBias: config.useBias as boolean,
    name: dense.name,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: 'zeros',
  });
  let y = head.apply(dense.input as tf.SymbolicTensor) as tf.SymbolicTensor;
  if (activation)
    y = tf.layers
      .activation({ activation: activation.getConfig().activation as 'softmax', name: activation.name })
      .apply(y) as tf.SymbolicTensor;
  const out = tf.model({ inputs: model.inputs, outputs: y, name: model.name });
  // Classes the old head knew by name keep their column of its kernel and its bias.
  const from = names.map((n) => old.findIndex((o) => o.toLowerCase() === n.toLowerCase()));
  if (from.some((i) => i >= 0)) {
    const [oldKernel, oldBias] = dense.getWeights();
    const [newKernel, newBias] = head.getWeights();
    const next = tf.tidy(() => {
      const cols = from.map((i, c) => (i >= 0 ? oldKernel.slice([0, i], [-1, 1]) : newKernel.slice([0, c], [-1, 1])));
      const kernel = tf.concat(cols, 1);
      if (!newBias) return [kernel];
      const bias = tf.stack(
        from.map((i, c) => (i >= 0 && oldBias ? oldBias.slice([i], [1]) : newBias.slice([c], [1]))).map((t) => t.reshape([])),
      );
      return [kernel, bias];
    });
    head.setWeights(next);
    tf.dispose(next);
  }
  for (const w of dense.weights) w.dispose();
  setClassNames(out, names);
  return out;
}

/**
 * The layers `--freeze` holds fixed: the stem and the first residual stage (conv2_x), i.e.
 * every layer whose output has the side of the stem's max-pooling output or more. They see
 * edges and small parts (eyes, mouth corners) that carry over from FER2013 to other faces, they
 * hold few weights (about 0.2 M of 23.5 M) but the largest maps, and a small folder's first
 * gradients, through a new random head, are the noisiest: keeping them fixed for the first
 * epochs protects what transfers while the head and the later stages adapt.
 */
export function earlyStageLayers(model: tf.LayersModel): string[] {
  const side = (l: tf.layers.Layer) => {
    const s = l.outputShape as (number | null)[];
    return Array.isArray(s) && s.length === 4 && typeof s[1] === 'number' ? s[1] : null;
  };
  const pool = model.layers.find((l) => l.getClassName() === 'MaxPooling2D');
  const stem = pool ? side(pool) : null;
  if (stem === null) throw new Error(`--freeze: ${model.name} has no stem max-pooling layer to find its early stages by`);
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer' && (side(l) ?? 0) >= stem).map((l) => l.name);
}

/**
 * Holds `layers` fixed or lets them train again. Their weights are left out of the updates by
 * the step (the names returned, see makeTrainStep's frozen option) rather than by tfjs's
 * `trainable`, which would reorder `model.weights` and so the saved states; their BatchNorms
 * use their moving statistics, as Keras 2 runs a frozen BatchNormalization.
 */
export function freezeLayers(model: tf.LayersModel, layers: readonly string[], frozen: boolean): Set<string> {
  const names = new Set(layers);
  const vars = new Set<string>();
  for (const l of model.layers) {
    if (!names.has(l.name)) continue;
    if (l instanceof FastBatchNormalization) l.frozen = frozen;
    for (const w of l.trainableWeights) vars.add((w.read() as tf.Variable).name);
  }
  return vars;
}

/** The input side of a tfjs model.json (its first layer's batch_input_shape), without loading its weights; null when unknown. */
export function modelJsonInputSide(modelJson: string): number | null {
  try {
    const json = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as {
      modelTopology?: { config?: { layers?: Array<{ config?: { batch_input_shape?: unknown[] } }> } };
    };
    const shape = json.modelTopology?.config?.layers?.[0]?.config?.batch_input_shape;
    return Array.isArray(shape) && typeof shape[1] === 'number' ? shape[1] : null;
  } catch {
    return null;
  }
}
