/**
 * `facial bench`: training and prediction throughput of both ResNet-50s on the selected
 * backend, one JSON line per case with --json. bench/compare.ts runs it next to the
 * PyTorch yardstick and prints the ratios.
 */
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { makeTrainStep } from '../train';
import { MODELS } from '../models/registry';
import { NUM_CLASSES } from '../data/emotions';
import { fastPredictor } from '../models/inference';
import { BatchLimit, batchLimitMessage, capability } from '../engine/capabilities';

/** One benchmark case: which model, at which input side and batch. */
interface BenchCase {
  model: 'resnet50-anysize' | 'resnet50';
  size: number;
  batch: number;
}

/** The cases the issue names: anysize at 48 (batch 32) and Keras-style at 200 (batch 8). */
const CASES: BenchCase[] = [
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

/** Measures one case: images/s for an Adam training step and for a forward pass. */
async function runCase(c: BenchCase, steps: number, forcedBatch: boolean): Promise<Record<string, unknown>> {
  const model = buildModel(c);
  const limit = capability('batchLimit')?.(model);
  if (forcedBatch && limit && c.batch > limit.maxBatch) {
    model.dispose();
    throw new Error(`--batch: ${batchLimitMessage(c.batch, limit, tf.getBackend())}`);
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

/** Adds the bench subcommand to `program`. */
export function register(program: Command): void {
  program
    .command('bench')
    .description('measure training and prediction images/s of both ResNet-50s on the selected backend')
    .option('--json', 'one JSON object per line')
    .option('--steps <n>', 'timed steps per case (median is reported), after one warm-up; 5 as the PyTorch yardstick', '5')
    .option('--only <model>', 'run only resnet50-anysize or resnet50')
    .option('--batch <n>', "train and predict at this batch instead of the cases' (e.g. 50, the seed's, at 200x200)")
    .action(async (opts: { json?: boolean; steps: string; only?: string; batch?: string }) => {
      const steps = Number(opts.steps);
      if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: expected a positive integer, got '${opts.steps}'`);
      const batch = opts.batch === undefined ? undefined : Number(opts.batch);
      if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1))
        throw new Error(`--batch: expected a positive integer, got '${opts.batch}'`);
      const cases = (opts.only ? CASES.filter((c) => c.model === opts.only) : CASES).map((c) => (batch ? { ...c, batch } : c));
      if (!cases.length) throw new Error(`--only: unknown model '${opts.only}' (resnet50-anysize or resnet50)`);
      for (const c of cases) {
        const row = await runCase(c, steps, batch !== undefined);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(row)}\n`
            : `${row.model} ${row.size}x${row.size} batch ${row.batch} on ${row.backend}: train ${row.train_img_s} img/s, predict ${row.predict_img_s} img/s\n`,
        );
      }
    });
}
