/**
 * The optimizers the seed used, with Keras 2.1's defaults, and the learning rate as the
 * callbacks and schedules read and set it.
 */
import * as tf from '@tensorflow/tfjs';

/** The optimizer's current learning rate (tfjs keeps it as a plain number). */
export function getLearningRate(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

/** Sets the learning rate; SGD/momentum cache -lr as a tensor, so use their setter. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Builds the named optimizer with Keras 2.1's defaults. */
export function makeOptimizer(name: 'sgd' | 'adam' | 'momentum', lr?: number): tf.Optimizer {
  switch (name) {
    case 'sgd':
      return tf.train.sgd(lr ?? 0.01);
    case 'adam':
      return tf.train.adam(lr ?? 1e-3, 0.9, 0.999, 1e-7);
    case 'momentum':
      return tf.train.momentum(lr ?? 0.01, 0.9);
    default:
      throw new Error(`unknown optimizer '${name as string}' (use sgd, adam or momentum)`);
  }
}
