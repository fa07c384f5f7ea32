/**
 * Sum and Mean over the leading axes (per-channel reductions of NHWC tensors) without a transpose.
 *
 * tfjs-backend-wasm reduces only over innermost axes, so for a sum over [N, H, W] of an NHWC
 * tensor it first transposes the whole tensor to [C, N, H, W]. Training needs that reduction
 * for every BatchNormalization (moments forward, two sums backward) and conv bias gradient; one
 * sequential pass over the heap adding each row into a per-channel accumulator does it with no
 * copy. Any other reduction goes to the backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { guardWasmHeap } from './heap-guard';
import { kernelInFrontOf } from './kernel-call';
import { channelSums, sumOfSquares } from './channel-loops';

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/** Number of leading axes reduced when `axes` is exactly 0..k-1 (k < rank), else 0. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set(tf.util.parseAxisParam(axis, new Array(rank).fill(1)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/** out[c] = scale * sum_i x[i, c] over the leading `k` axes of x. */
function reduceLeading(backend: WasmHeapBackend, x: TensorInfo, k: number, keepDims: boolean, scale: number): TensorInfo {
  const outer = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(k).reduce((p, d) => p * d, 1);
  const acc = new Float64Array(inner);
  channelSums(backend.typedArrayFromHeap(x), outer, inner, acc);
  const shape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
  const out = backend.makeOutput(shape, 'float32');
  const dst = backend.typedArrayFromHeap(out);
  for (let c = 0; c < inner; c++) dst[c] = acc[c] * scale;
  return out;
}

/** Kernel name of sum(x^2) over all of a float32 x, a scalar (what the L2 regulariser needs). */
export const SUM_OF_SQUARES = 'FacialSumOfSquares';

/**
 * sum(x^2) in one pass over the heap: tfjs-backend-wasm would write a full-size Square and then
 * Sum it, ~40 ms per any-size ResNet-50 step over its 23.5M regularised weights.
 */
const sumOfSquaresKernel: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  const b = backend as unknown as WasmHeapBackend;
  const out = b.makeOutput([], 'float32');
  b.typedArrayFromHeap(out)[0] = sumOfSquares(b.typedArrayFromHeap(x));
  return out;
};

/**
 * Sum and Mean kernels for `backendName` that handle float32 reductions over leading axes and
 * hand everything else to the kernels registered there now (tfjs-backend-wasm's own); and
 * SUM_OF_SQUARES.
 */
export function reduceKernelConfigs(backendName: string): KernelConfig[] {
  // The heap guard goes in at setup, when the backend instance exists.
  const reductions = (['Sum', 'Mean'] as const).map((kernelName) =>
    kernelInFrontOf(
      kernelName,
      backendName,
      (args) => {
        const { x } = args.inputs as { x: TensorInfo };
        const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
        const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape.length) : 0;
        if (k === 0) return null;
        const count = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
        // Over no rows both are 0, as on tfjs-backend-cpu (wasm's own kernels return uninitialised memory).
        const scale = kernelName === 'Mean' && count > 0 ? 1 / count : 1;
        return reduceLeading(args.backend as unknown as WasmHeapBackend, x, k, keepDims, scale);
      },
      guardWasmHeap,
    ),
  );
  return [...reductions, { kernelName: SUM_OF_SQUARES, backendName, kernelFunc: sumOfSquaresKernel }];
}
