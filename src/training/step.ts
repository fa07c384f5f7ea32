/**
 * One training step and one evaluation pass: what model.fit's train and test functions do,
 * and nothing else, so it stays the hot path `facial bench` times.
 */
import * as tf from '@tensorflow/tfjs';
import { trainingLoss } from './loss';
import { capability, checkDevice } from '../engine/capabilities';
import { DataSource, toBatch } from '../data/data-source';
import { flushTrainingVariables } from '../models/denormals';

/**
 * Steps between two flushes of subnormal weights and optimizer slots, on engines where they are
 * slow (models/denormals.ts). An Adam first moment with no gradient becomes subnormal in ~850
 * steps (0.9^850 < 1e-38 / 1e-1), so 100 catches each soon; a flush costs about one
 * elementwise pass over the weights and slots.
 */
export const SUBNORMAL_FLUSH_STEPS = 100;

/** Step options. */
export interface TrainStepOptions {
  /** One weight per class, multiplying each sample's loss (Keras class_weight). */
  classWeights?: number[];
  /**
   * Names of variables the step leaves unchanged (fine-tuning's frozen layers: fine-tune.ts
   * freezeLayers). Their gradients are not computed, and the optimizer is handed every variable
   * in the same order with null for these, because tfjs's Adam and momentum keep their slots
   * by position in that list: a shorter list would pair slots with the wrong variables.
   */
  frozen?: ReadonlySet<string>;
}

/**
 * One optimizer step in training mode (BatchNorm batch statistics and moving-average updates,
 * dropout on): mean categorical cross-entropy (class-weighted as Keras: mean(w * ce) / mean(w != 0))
 * plus the model's regularisation losses (e.g. L2 on conv kernels), exactly what model.fit
 * minimises. Resolves to the batch loss (including regularisation, as Keras reports it) and accuracy.
 * The two scalars are read asynchronously because a GPU backend (WebGPU) cannot read synchronously
 * in Node; on cpu and wasm the await costs nothing measurable. Every SUBNORMAL_FLUSH_STEPS steps,
 * on an engine with slow subnormals, their values are set to zero (see models/denormals.ts).
 */
export function makeTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  opts: TrainStepOptions = {},
): (xs: tf.Tensor4D, ys: tf.Tensor2D) => Promise<{ loss: number; acc: number }> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const weights = opts.classWeights ? Float32Array.from(opts.classWeights) : null;
  const frozen = opts.frozen?.size ? opts.frozen : null;
  const live = frozen ? vars.filter((v) => !frozen.has(v.name)) : vars;
  let steps = 0;
  return async (xs, ys) => {
    let acc: tf.Scalar | null = null;
    const f = () => {
      const out = trainingLoss(model, xs, ys, weights);
      acc = out.acc;
      return out.total;
    };
    let loss: tf.Scalar | null;
    if (!frozen) loss = optimizer.minimize(f, true, vars);
    else {
      // optimizer.minimize, with the frozen variables present (as null) in their places.
      const { value, grads } = optimizer.computeGradients(f, live);
      const all: Record<string, tf.Tensor | null> = {};
      for (const v of vars) all[v.name] = grads[v.name] ?? null;
      optimizer.applyGradients(all as tf.NamedTensorMap);
      tf.dispose(Object.values(grads));
      loss = value;
    }
    const both = tf.stack([loss!, acc!]);
    tf.dispose([loss!, acc!]);
    const [l, a] = await both.data();
    both.dispose();
    if (++steps % SUBNORMAL_FLUSH_STEPS === 0 && capability('slowSubnormals')) await flushTrainingVariables(model, optimizer);
    return { loss: l, acc: a };
  };
}

/** Mean loss (with regularisation, as Keras's evaluate) and accuracy of `model` over `source`, inference mode. */
export async function evaluateSource(model: tf.LayersModel, source: DataSource): Promise<{ loss: number; acc: number }> {
  let lossSum = 0,
    correct = 0,
    n = 0;
  for await (const batch of source.batches(0)) {
    const { xs, ys } = toBatch(batch);
    const sums = tf.tidy(() => {
      const probs = model.apply(xs, { training: false }) as tf.Tensor2D;
      return tf.stack([
        tf.sum(tf.metrics.categoricalCrossentropy(ys, probs)),
        tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), tf.argMax(ys, -1)), 'float32')),
      ]);
    });
    const [l, c] = await sums.data();
    sums.dispose();
    n += xs.shape[0];
    lossSum += l;
    correct += c;
    tf.dispose([xs, ys]);
    checkDevice('validation');
  }
  const regs = model.calculateLosses();
  let reg = 0;
  for (const r of regs) reg += (await r.data())[0];
  tf.dispose(regs);
  return { loss: lossSum / Math.max(n, 1) + reg, acc: correct / Math.max(n, 1) };
}
