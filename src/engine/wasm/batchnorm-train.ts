/**
 * Training-mode BatchNormalization as one forward and one backward kernel on wasm.
 *
 * tfjs-layers normalises a batch with moments (Mean, SquaredDifference, Mean), then
 * batchNormalization (FusedBatchNorm), and differentiates all of it op by op: about twenty
 * single-threaded elementwise kernels per layer per step, each a full pass over the activation.
 * Per channel c over the M = N*H*W rows of an NHWC tensor the same numbers are:
 *   forward:  mean, biased variance v, r = 1/sqrt(v + eps), y = gamma * (x - mean) * r + beta
 *   backward: dbeta = S1 = sum dy, dgamma = S2 * r with S2 = sum dy * (x - mean),
 *             dx = gamma * r * (dy - S1/M - (x - mean) * r^2 * S2/M)
 * which a kernel does in two passes over the wasm heap each way. The layer subclass below uses
 * them only in training, on a wasm backend, with channels last; everything else (inference,
 * other backends, serialisation, weights) is tfjs-layers' BatchNormalization unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { affine, gradientSums, shiftedSums } from './channel-loops';

/** Kernel names (prefixed so that they cannot collide with tfjs's). */
export const BN_TRAIN = 'FacialBatchNormTraining';
export const BN_TRAIN_GRAD = 'FacialBatchNormTrainingGrad';

/** The parts of tfjs-backend-wasm's BackendWasm used here (not in its public typings). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/** Per-channel mean and biased variance of x viewed as [rows, c], from sums shifted by the first row. */
function moments(src: Float32Array, rows: number, c: number, mean: Float64Array, variance: Float64Array): void {
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  shiftedSums(src, rows, c, s1, s2);
  for (let ch = 0; ch < c; ch++) {
    const m = s1[ch] / rows;
    mean[ch] = src[ch] + m;
    variance[ch] = Math.max(0, s2[ch] / rows - m * m);
  }
}

/** inputs x [..., C], scale [C], offset [C] -> y (x's shape), mean [C], variance [C]. */
const forwardKernel: KernelFunc = (args) => {
  const { x, scale, offset } = args.inputs as { x: TensorInfo; scale: TensorInfo; offset: TensorInfo };
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const b = args.backend as unknown as WasmHeapBackend;
  const c = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const y = b.makeOutput(x.shape, 'float32');
  const meanOut = b.makeOutput([c], 'float32');
  const varOut = b.makeOutput([c], 'float32');
  // Views only after every allocation: a heap growth detaches earlier ones.
  const src = b.typedArrayFromHeap(x);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  moments(src, rows, c, mean, variance);
  const g = b.typedArrayFromHeap(scale);
  const be = b.typedArrayFromHeap(offset);
  const mul = new Float32Array(c);
  const add = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    const m = Math.fround(mean[ch]);
    const r = 1 / Math.sqrt(Math.fround(variance[ch]) + eps);
    mul[ch] = g[ch] * r;
    add[ch] = be[ch] - m * g[ch] * r;
  }
  affine(src, null, b.typedArrayFromHeap(y), rows, c, mul, null, add);
  b.typedArrayFromHeap(meanOut).set(mean);
  b.typedArrayFromHeap(varOut).set(variance);
  return [y, meanOut, varOut];
};

/** inputs dy, x, scale, mean, variance -> dx, dscale [C], doffset [C]. */
const backwardKernel: KernelFunc = (args) => {
  const { dy, x, scale, mean, variance } = args.inputs as Record<string, TensorInfo>;
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const b = args.backend as unknown as WasmHeapBackend;
  const c = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const dx = b.makeOutput(x.shape, 'float32');
  const dScale = b.makeOutput([c], 'float32');
  const dOffset = b.makeOutput([c], 'float32');
  const g = b.typedArrayFromHeap(dy);
  const src = b.typedArrayFromHeap(x);
  const gamma = b.typedArrayFromHeap(scale);
  const m = Float64Array.from(b.typedArrayFromHeap(mean));
  const v = b.typedArrayFromHeap(variance);
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  gradientSums(g, src, m, rows, c, s1, s2);
  // dx = A * dy + B * x + C0 with A = gamma r, B = -gamma r^3 S2 / M, C0 = -A S1 / M - B mean.
  const a = new Float32Array(c);
  const bx = new Float32Array(c);
  const c0 = new Float32Array(c);
  const ds = b.typedArrayFromHeap(dScale);
  const dof = b.typedArrayFromHeap(dOffset);
  for (let ch = 0; ch < c; ch++) {
    const r = 1 / Math.sqrt(v[ch] + eps);
    const ar = gamma[ch] * r;
    const br = (-ar * r * r * s2[ch]) / rows;
    a[ch] = ar;
    bx[ch] = br;
    c0[ch] = (-ar * s1[ch]) / rows - br * m[ch];
    ds[ch] = s2[ch] * r;
    dof[ch] = s1[ch];
  }
  affine(g, src, b.typedArrayFromHeap(dx), rows, c, a, bx, c0);
  return [dx, dScale, dOffset];
};

/** Both kernels for the backend registered as `backendName` (a tfjs-backend-wasm instance). */
export function batchNormTrainingKernelConfigs(backendName: string): KernelConfig[] {
  return [
    { kernelName: BN_TRAIN, backendName, kernelFunc: forwardKernel },
    { kernelName: BN_TRAIN_GRAD, backendName, kernelFunc: backwardKernel },
  ];
}

/** The gradient of BN_TRAIN's y; its mean and variance outputs only feed the moving averages. */
export const batchNormTrainingGradConfig: GradConfig = {
  kernelName: BN_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x, scale, mean, variance] = saved;
    const dys = Array.isArray(dy) ? dy : [dy];
    // One kernel for all three gradients, run once (each thunk runs in its own tidy).
    const [dx, dScale, dOffset] = tf.engine().runKernel(BN_TRAIN_GRAD, { dy: dys[0], x, scale, mean, variance }, attrs) as tf.Tensor[];
    return { x: () => dx, scale: () => dScale, offset: () => dOffset };
  },
};

/** y, batch mean and batch (biased) variance of a channels-last x, with gradients for y. */
export function batchNormTraining(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BN_TRAIN, { x, scale, offset }, { varianceEpsilon: epsilon }) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
