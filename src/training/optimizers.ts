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

/** What tfjs keeps outside getWeights/setWeights: the step count and Adam's running beta powers. */
interface OptimizerInternals {
  iterations_?: number;
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
  beta1?: number;
  beta2?: number;
}

const RUNNING_SCALARS = ['accBeta1', 'accBeta2'] as const;

/** The optimizer's running scalars that getWeights leaves out (Adam's beta powers), by name. */
export async function runningScalars(optimizer: tf.Optimizer): Promise<Record<string, number>> {
  const o = optimizer as unknown as OptimizerInternals;
  const out: Record<string, number> = {};
  for (const k of RUNNING_SCALARS) {
    const v = o[k];
    if (v instanceof tf.Variable) out[k] = (await v.data())[0];
  }
  return out;
}

/** Sets the running scalars `runningScalars` read (names the optimizer lacks are ignored). */
export function setRunningScalars(optimizer: tf.Optimizer, values: Record<string, number | undefined>): void {
  const o = optimizer as unknown as OptimizerInternals;
  for (const k of RUNNING_SCALARS) {
    const v = o[k];
    const value = values[k];
    if (v instanceof tf.Variable && value !== undefined) tf.tidy(() => v.assign(tf.scalar(value)));
  }
}

/**
 * Returns the optimizer to the state it was built in: every slot (Adam's moments, momentum's
 * accumulations) zero, its step count 0, Adam's running beta powers back to beta1 and beta2.
 * Fine-tuning calls it when the frozen layers are released: their slots are still zero while a
 * step count of hundreds has switched Adam's bias correction off, so their first updates would
 * be mis-scaled (about half the usual size after ten frozen steps, 2.5 times it after a
 * thousand). Keras's fine-tuning guide compiles a fresh optimizer at that point; this is the same
 * state, kept in the variables the step and the resume state already hold. Zeroed in place:
 * tfjs's setWeights makes new slot variables without disposing the old ones.
 */
export async function resetOptimizerState(optimizer: tf.Optimizer): Promise<void> {
  const weights = await optimizer.getWeights();
  // getWeights's first entry is a fresh iteration scalar; the rest are the live slot variables.
  weights[0]?.tensor.dispose();
  tf.tidy(() => {
    for (const w of weights.slice(1)) (w.tensor as tf.Variable).assign(tf.zerosLike(w.tensor));
  });
  const o = optimizer as unknown as OptimizerInternals;
  setRunningScalars(optimizer, { accBeta1: o.beta1, accBeta2: o.beta2 });
  if (o.iterations_ !== undefined) o.iterations_ = 0;
}
