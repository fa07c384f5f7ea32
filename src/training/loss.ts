/**
 * The training objective, kept apart from the step (makeTrainStep) so that any other step
 * implementation shares it rather than drifting from it.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * What model.fit minimises, in training mode (BatchNorm batch statistics, dropout on): mean
 * categorical cross-entropy, class-weighted as Keras does (mean(w * ce) / mean(w != 0)), plus
 * the model's regularisation losses (e.g. L2 on conv kernels). Call inside a gradient scope.
 * `acc` (batch accuracy) is kept out of that scope, so the caller disposes it.
 */
export function trainingLoss(
  model: tf.LayersModel,
  xs: tf.Tensor4D,
  ys: tf.Tensor2D,
  classWeights: Float32Array | null,
): { total: tf.Scalar; acc: tf.Scalar } {
  const probs = model.apply(xs, { training: true }) as tf.Tensor2D;
  const perSample = tf.metrics.categoricalCrossentropy(ys, probs);
  let total: tf.Scalar;
  if (classWeights) {
    const w = tf.sum(tf.mul(ys, tf.tensor1d(classWeights)), -1);
    total = tf.div(tf.mean(tf.mul(perSample, w)), tf.mean(tf.cast(tf.notEqual(w, 0), 'float32')));
  } else {
    total = tf.mean(perSample);
  }
  const acc = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(probs, -1), tf.argMax(ys, -1)), 'float32'))) as tf.Scalar;
  for (const reg of model.calculateLosses()) total = tf.add(total, reg) as tf.Scalar;
  return { total, acc };
}

/** sklearn's compute_class_weight('balanced'): n_samples / (n_classes * count_c); absent classes get 1 instead of Infinity. */
export function balancedClassWeights(counts: number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c > 0 ? n / (counts.length * c) : 1));
}
