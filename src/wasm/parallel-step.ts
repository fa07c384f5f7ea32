/**
 * The half of a data-parallel training step both threads run (see parallel-trainer.ts): the loss
 * of src/train.ts's makeTrainStep on a part of the batch, its gradients, and the shared-memory
 * exchange that makes both replicas apply bit-identical updates.
 */
import * as tf from '@tensorflow/tfjs';
import { trainingLoss } from '../loss';

/** Control words in the shared Int32Array. */
export const enum Ctrl { MainWrote = 0, WorkerWrote = 1, WorkerRead = 2, Error = 3, Ready = 4, Size = 8 }

/** Shared memory of one trainer: gradients and BN statistics of each side, the worker's loss/acc. */
export interface SharedBuffers {
  ctrl: SharedArrayBuffer;
  /** Float32 [params]: main's gradients, pre-scaled by its share of the batch. */
  gradMain: SharedArrayBuffer;
  gradWorker: SharedArrayBuffer;
  /** Float32 [non-trainable floats]: BN moving statistics after each side's forward pass. */
  statsMain: SharedArrayBuffer;
  statsWorker: SharedArrayBuffer;
  /** Float64 [loss, acc] of the worker's part. */
  meta: SharedArrayBuffer;
  /** UTF-8 error message from the worker. */
  error: SharedArrayBuffer;
}

/** The optimizer both replicas build identically. */
export interface OptimizerSpec {
  name: 'sgd' | 'adam' | 'momentum';
  learningRate: number;
  /** Use the fused (one pass per variable) Adam / momentum of fused-optimizers.ts. */
  fused?: boolean;
}

/** What a replica's part of a step produced. */
export interface PartResult {
  loss: number;
  acc: number;
  grads: tf.Tensor[];
}

/**
 * The loss of makeTrainStep (mean categorical cross-entropy, class-weighted as Keras:
 * mean(w * ce) / mean(w != 0), plus the regularisation losses) on one part of a batch, in
 * training mode, and its gradients with respect to `vars` (in that order).
 */
export function partGradients(model: tf.LayersModel, vars: tf.Variable[], xs: tf.Tensor4D, ys: tf.Tensor2D,
  classWeights: Float32Array | null): PartResult {
  let acc: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = trainingLoss(model, xs, ys, classWeights);
    acc = out.acc;
    return out.total;
  }, vars);
  const result = { loss: value.dataSync()[0], acc: (acc as tf.Scalar | null)!.dataSync()[0], grads: vars.map((v) => grads[v.name]) };
  tf.dispose([value, acc!]);
  return result;
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmHeapBackend {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

function heapBackend(): WasmHeapBackend | null {
  const b = tf.backend() as unknown as Partial<WasmHeapBackend>;
  return typeof b.typedArrayFromHeap === 'function' && typeof b.makeOutput === 'function' ? b as WasmHeapBackend : null;
}

/** `t`'s float32 values without a copy on wasm (valid until the next allocation). */
function valuesOf(t: tf.Tensor): Float32Array {
  const b = heapBackend();
  return b ? b.typedArrayFromHeap(t) : t.dataSync() as Float32Array;
}

/** A new float32 tensor filled by `fill`, written straight into wasm memory when possible. */
function filledTensor(shape: number[], fill: (out: Float32Array) => void): tf.Tensor {
  const b = heapBackend();
  if (!b) {
    const out = new Float32Array(shape.reduce((p, d) => p * d, 1));
    fill(out);
    return tf.tensor(out, shape, 'float32');
  }
  const info = b.makeOutput(shape, 'float32');
  fill(b.typedArrayFromHeap(info));
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** Writes each tensor's values, times `scale`, one after another into `dst`. */
export function writeScaled(tensors: tf.Tensor[], dst: Float32Array, scale: number): void {
  let o = 0;
  for (const t of tensors) {
    const src = valuesOf(t);
    for (let j = 0; j < src.length; j++) dst[o + j] = src[j] * scale;
    o += src.length;
  }
}

/**
 * Tensors shaped like `like` holding a[i] + b[i]. Both replicas call this with the same two
 * buffers, and float addition is commutative, so they get bit-identical sums.
 */
export function sumOf(a: Float32Array, b: Float32Array, like: tf.Tensor[]): tf.Tensor[] {
  let o = 0;
  return like.map((t) => {
    const y = filledTensor(t.shape, (out) => {
      for (let j = 0; j < out.length; j++) out[j] = a[o + j] + b[o + j];
    });
    o += t.size;
    return y;
  });
}

/** Current values of `weights` (the BN moving statistics), flattened into `dst`. */
export function readWeights(weights: tf.Variable[], dst: Float32Array): void {
  writeScaled(weights, dst, 1);
}

/** Sets each weight to (a * na + b * nb) / n, the batch-share-weighted mean of two replicas' values. */
export function setWeightedMean(weights: tf.Variable[], a: Float32Array, b: Float32Array, na: number, nb: number): void {
  const n = na + nb;
  let o = 0;
  for (const w of weights) {
    const t = filledTensor(w.shape, (out) => {
      for (let j = 0; j < out.length; j++) out[j] = (a[o + j] * na + b[o + j] * nb) / n;
    });
    o += w.size;
    w.assign(t);
    t.dispose();
  }
}

/** Sets the optimizer's learning rate the way src/train.ts's setLearningRate does. */
export function setLr(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Blocks until ctrl[index] >= value; throws the worker's error if it reports one. */
export function waitFor(ctrl: Int32Array, index: Ctrl, value: number, errorBuf: Uint8Array, who: string): void {
  for (;;) {
    const now = Atomics.load(ctrl, index);
    if (now >= value) return;
    if (Atomics.load(ctrl, Ctrl.Error) !== 0) {
      const text = Buffer.from(errorBuf).toString('utf8').replace(/\0+$/, '');
      throw new Error(`parallel training: ${who} failed: ${text}`);
    }
    Atomics.wait(ctrl, index, now, 1000);
  }
}
