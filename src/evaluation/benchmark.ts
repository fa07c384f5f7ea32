/**
 * Throughput of the two ResNet-50s on the active backend: training (the loop's own step, Adam)
 * and prediction (as predict and verify run it), in images/s. `facial bench` prints it;
 * bench/compare.ts runs it next to the PyTorch yardstick.
 */
import * as tf from '@tensorflow/tfjs';
import { makeTrainStep } from '../training/step';
import { MODELS } from '../models/registry';
import { NUM_CLASSES } from '../data/emotions';
import { fastPredictor } from '../models/inference';
import { BatchLimit, batchLimitMessage, capability } from '../engine/capabilities';

/** One benchmark case: which model, at which input side and batch. */
export interface BenchCase {
  model: 'resnet50-anysize' | 'resnet50';
  size: number;
  batch: number;
}

/** The default cases: anysize at 48 (batch 32) and Keras-style at 200 (batch 8). */
export const BENCH_CASES: readonly BenchCase[] = [
  { model: 'resnet50-anysize', size: 48, batch: 32 },
  { model: 'resnet50', size: 200, batch: 8 },
];

function buildModel(c: BenchCase): tf.LayersModel {
  return MODELS[c.model].build(c.size, 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median seconds of `steps` calls of `fn` after one warm-up call (kernel set-up, JIT). */
async function timeMedian(fn: () => Promise<void> | void, steps: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(times);
}

/** Random faces in -0.5..0.5: the same work as the PyTorch yardstick's inputs. */
function randomImages(batch: number, size: number): tf.Tensor4D {
  return tf.randomUniform([batch, size, size, 1], -0.5, 0.5, 'float32', 1) as tf.Tensor4D;
}

/**
 * Training batch for a case: the case's, within what the engine says is worth trying at that
 * size (the wasm heap at 200x200) and what the device's buffers hold (WebGPU).
 */
function trainBatchFor(c: BenchCase, forced: boolean, limit: BatchLimit | undefined): number {
  if (forced) return c.batch;
  const cap = capability('trainBatchCap')?.(c.size);
  if (cap !== undefined) return Math.min(c.batch, cap);
  return limit ? Math.max(1, Math.min(c.batch, limit.maxBatch)) : c.batch; // a device's buffer limit (WebGPU)
}

/** Images/s of an Adam 1e-3 training step (makeTrainStep, the training loop's own step). */
async function trainImagesPerSecond(model: tf.LayersModel, batch: number, size: number, steps: number): Promise<number> {
  const xs = randomImages(batch, size);
  const ys = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, NUM_CLASSES, 'int32', 2), NUM_CLASSES).toFloat()) as tf.Tensor2D;
  const optimizer = tf.train.adam(1e-3);
  try {
    const step = makeTrainStep(model, optimizer);
    return (
      batch /
      (await timeMedian(async () => {
        await step(xs, ys);
      }, steps))
    );
  } finally {
    tf.dispose([xs, ys]);
    optimizer.dispose();
  }
}

/** What benchmarkCase measured (snake_case: it is printed as JSON lines, read by bench/compare.ts). */
export interface BenchResult {
  backend: string;
  model: BenchCase['model'];
  size: number;
  batch: number;
  /** The batch the training step ran at (smaller than `batch` where the engine caps it). */
  train_batch: number;
  steps: number;
  train_img_s: number;
  predict_img_s: number;
}

/**
 * Measures one case on the active backend: images/s of an Adam training step (the loop's own
 * step) and of a forward pass as predict/verify run it, each the median of `steps` after a
 * warm-up. `forcedBatch`: train at exactly `c.batch` (refused, naming the limit, where the device
 * cannot hold it) instead of within what the engine says is worth trying.
 */
export async function benchmarkCase(c: BenchCase, steps: number, forcedBatch = false): Promise<BenchResult> {
  const model = buildModel(c);
  const limit = capability('batchLimit')?.(model);
  if (forcedBatch && limit && c.batch > limit.maxBatch) {
    model.dispose();
    throw new Error(`--batch_size: ${batchLimitMessage(c.batch, limit, tf.getBackend())}`);
  }
  const trainBatch = trainBatchFor(c, forcedBatch, limit);
  const trainImgS = await trainImagesPerSecond(model, trainBatch, c.size, steps);
  // Prediction as the library predicts (predict/verify): BN folded into the convs on wasm.
  const predictor = fastPredictor(model);
  const xs = randomImages(c.batch, c.size);
  const predictS = await timeMedian(async () => {
    const out = predictor.predict(xs);
    await out.data();
    out.dispose();
  }, steps);
  xs.dispose();
  predictor.dispose();
  model.dispose();
  return {
    backend: tf.getBackend(),
    model: c.model,
    size: c.size,
    batch: c.batch,
    train_batch: trainBatch,
    steps,
    train_img_s: +trainImgS.toFixed(2),
    predict_img_s: +(c.batch / predictS).toFixed(2),
  };
}
