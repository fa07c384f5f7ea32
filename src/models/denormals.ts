/**
 * Subnormal ("denormal") float32 weights, flushed to zero.
 *
 * With L2 regularisation and Adam, a weight whose data gradient is zero (a dead channel) decays
 * geometrically until 2 * l2 * w underflows, and then stays where it is: a subnormal number
 * below 1.2e-38. The long 48x48 run ended up with 42% of its weights and as many of Adam's first
 * moments subnormal (mostly in the last stage), and x86 CPUs take a microcode assist for every
 * arithmetic operand of that kind. TensorFlow's CPU kernels run with flush-to-zero and
 * denormals-are-zero set, so Keras never sees it; WebAssembly has no such mode, so on the wasm
 * engine that run trained at a third of its earlier speed and its checkpoints predicted 9 times
 * slower than the same weights with those values zeroed. Zeroing them changes no result: each is
 * at least 38 orders of magnitude below the activations it meets.
 */
import * as tf from '@tensorflow/tfjs';

/** The smallest normal float32; anything nonzero below it in magnitude is subnormal. */
export const FLT_MIN = 1.1754943508222875e-38;

/**
 * Zeroes the subnormal values of `values` in place (their exponent bits are all zero) and returns
 * how many there were. For weights read from a file.
 */
export function flushSubnormals(values: Float32Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let flushed = 0;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) === 0 && (b & 0x007fffff) !== 0) {
      bits[i] = b & 0x80000000; // keeps the sign: -0 stays -0, as TensorFlow's flush does
      flushed++;
    }
  }
  return flushed;
}

/** Sets the subnormal values of each float32 variable to zero, on the device (other dtypes are left alone). */
export function flushVariables(variables: tf.Variable[]): void {
  for (const v of variables) {
    if (v.dtype !== 'float32') continue;
    tf.tidy(() => v.assign(tf.where(tf.less(tf.abs(v), FLT_MIN), tf.zerosLike(v), v)));
  }
}

/** A model's weights (trainable or not) and an optimizer's slot variables (Adam's moments, ...), flushed. */
export async function flushTrainingVariables(model: tf.LayersModel, optimizer?: tf.Optimizer): Promise<void> {
  flushVariables(model.weights.map((w) => w.read() as tf.Variable));
  if (!optimizer) return;
  const slots = await optimizer.getWeights();
  // getWeights hands out live slot variables and fresh tensors (Adam's iteration count): only the former are flushed, the latter freed.
  flushVariables(slots.map((s) => s.tensor).filter((t): t is tf.Variable => t instanceof tf.Variable));
  tf.dispose(slots.map((s) => s.tensor).filter((t) => !(t instanceof tf.Variable)));
}
