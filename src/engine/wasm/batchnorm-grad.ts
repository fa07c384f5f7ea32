/**
 * Leaner gradients for batch normalisation in training.
 *
 * tfjs-core's FusedBatchNorm gradient tiles 1/sqrt(var) to the full activation shape and makes
 * about ten full-size products per layer; its Mean gradient materialises a full tensor of ones,
 * multiplies and divides it. On wasm those elementwise passes cost as much as the convolutions.
 * The same mathematics with per-channel [C] factors broadcast by the elementwise kernels needs
 * two full-size products and two reductions for FusedBatchNorm, and one product for Mean.
 * Gradients are backend-independent, so these replace tfjs's for every backend (same values).
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs';

/**
 * y = (x - mean) * r * scale + offset, r = 1/sqrt(variance + eps); per channel:
 * dx = dy * scale * r, d offset = S1, d scale = S2 * r, d mean = -S1 * scale * r,
 * d variance = -0.5 * scale * r^3 * S2, with S1 = sum dy, S2 = sum dy * (x - mean).
 */
export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const [x, mean, variance, scale] = saved;
    const eps = attrs.varianceEpsilon as number;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const sumOver = (t: tf.Tensor) => (axes.length > 0 ? tf.sum(t, axes) : t).reshape(mean.shape);
    const r = tf.rsqrt(tf.add(variance, eps));
    const scaleR = scale == null ? r : tf.mul(scale, r);
    // Computed once outside the thunks (as tfjs does) because several gradients share them;
    // tfjs runs each thunk in its own tidy, so they cannot be cached lazily.
    const s1 = sumOver(g);
    const s2 = sumOver(tf.mul(g, tf.sub(x, mean)));
    return {
      x: () => tf.mul(g, scaleR).reshape(x.shape),
      mean: () => tf.neg(tf.mul(s1, scaleR)),
      variance: () => tf.mul(tf.mul(s2, scaleR), tf.mul(tf.square(r), -0.5)),
      scale: () => tf.mul(s2, r),
      offset: () => s1,
    };
  },
};

/** d mean(x, axes) / dx: dy / n broadcast back over the reduced axes, in one product. */
export const meanGradConfig: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = axes.reduce((p, a) => p * x.shape[a], 1);
    return {
      x: () => tf.mul(tf.ones(x.shape), tf.div((dy as tf.Tensor).reshape(expanded), n)),
    };
  },
};
