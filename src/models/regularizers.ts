/**
 * Keras's L1L2 weight regulariser with a one-pass gradient.
 *
 * tfjs-layers' L1L2 computes sum(l2 * square(w)) from separate ops, so autodiff walks back
 * through Sum (a full-size ones tensor and a multiply), the scalar Multiply and Square (two more
 * multiplies), each saving copies of its inputs. For the any-size ResNet-50, whose 53 conv
 * kernels carry L2(1e-4), that was ~240 ms of a 1.9 s training step on wasm. Here the penalty
 * is one custom-gradient op whose gradient is the closed form dy * (2 * l2 * w + l1 * sign(w)):
 * the same values (up to float rounding order) in one multiply.
 *
 * The class keeps tfjs's name ('L1L2'), config and defaults, and is registered in its place, so
 * models saved with it load in any tfjs or Keras, and models loaded here get the fast gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { capability } from '../engine/capabilities';

/** Arguments of the L1L2 regulariser, as tfjs-layers' (a missing factor defaults to 0.01). */
export interface L1L2Args {
  /** L1 factor: penalty l1 * sum(|w|). */
  l1?: number | null;
  /** L2 factor: penalty l2 * sum(w^2). */
  l2?: number | null;
}

type TfRegularizer = ReturnType<typeof tf.regularizers.l1l2>;
interface TfL1L2 extends TfRegularizer {
  l1: number;
  l2: number;
}
type TfL1L2Class = (new (args?: L1L2Args) => TfL1L2) & { className: string };

/** tfjs-layers' L1L2 class (not exported under a public name). */
const TfL1L2Base = Object.getPrototypeOf(tf.regularizers.l1l2()).constructor as TfL1L2Class;

/** sum(w^2): one pass where an engine offers it for the active backend (the wasm one does), else Square and Sum. */
function sumOfSquares(w: tf.Tensor): tf.Tensor {
  const fused = w.dtype === 'float32' ? capability('sumOfSquares') : undefined;
  return fused ? fused(w) : tf.sum(tf.square(w));
}

/** L1 and L2 penalty of a weight as one op with a closed-form gradient. */
function penaltyOp(l1: number, l2: number): (w: tf.Tensor) => tf.Scalar {
  return tf.customGrad(((w: tf.Tensor, save: tf.GradSaveFunc) => {
    save([w]);
    let value = tf.scalar(0);
    if (l1 !== 0) value = tf.add(value, tf.mul(tf.sum(tf.abs(w)), l1));
    if (l2 !== 0) value = tf.add(value, tf.mul(sumOfSquares(w), l2));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const [x] = saved;
      const terms: tf.Tensor[] = [];
      if (l2 !== 0) terms.push(tf.mul(x, tf.mul(dy, 2 * l2)));
      if (l1 !== 0) terms.push(tf.mul(tf.sign(x), tf.mul(dy, l1)));
      return terms.length === 0 ? tf.zerosLike(x) : tf.addN(terms);
    };
    return { value: value as tf.Scalar, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (w: tf.Tensor) => tf.Scalar;
}

/**
 * Keras's L1L2 regulariser (class name 'L1L2', config { l1, l2 }), whose penalty has a
 * one-multiply gradient. Registered in place of tfjs-layers' class.
 */
export class L1L2 extends TfL1L2Base {
  private penalty?: (w: tf.Tensor) => tf.Scalar;

  /** The penalty of weight `x`, a scalar. */
  apply(x: tf.Tensor): tf.Scalar {
    this.penalty ??= penaltyOp(this.l1, this.l2);
    return this.penalty(x);
  }

  /** { l1, l2 }, as tfjs-layers and Keras write it. */
  getConfig(): tf.serialization.ConfigDict {
    return { l1: this.l1, l2: this.l2 };
  }
}
tf.serialization.registerClass(L1L2 as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** L2 regulariser, as `tf.regularizers.l2` (default factor 0.01), with the fast gradient. */
export function l2(args?: { l2?: number }): L1L2 {
  return new L1L2({ l1: 0, l2: args?.l2 ?? null });
}
