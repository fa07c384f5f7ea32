/**
 * Matrix products on XNNPACK's fully-connected operator, for the convolution kernels.
 *
 * Both tfjs-backend-wasm's Conv2D and its BatchMatMul pack their right-hand operand (the
 * "weights") into XNNPACK's blocked layout when they first see its buffer, and cache that per
 * buffer. In training every weight is a new buffer each step, so this packing is paid on every
 * call. Conv2D first transposes the filter with a generic transpose and then packs it;
 * BatchMatMul (batch 1, no transposes) hands XNNPACK the [K, N] matrix with its
 * transpose-weights flag and packs in one pass. Measured on this machine
 * (`npx ts-node bench/kernels.ts --gemm --backend wasm-threaded`): a [128, 1024] x [1024, 2048]
 * product with a new right operand takes 33 ms as a 1x1 Conv2D and 22 ms as a BatchMatMul;
 * [128, 2048] x [2048, 512] 17 vs 10 ms; with the operand cached, 9.6 and 5 ms either way.
 * So every GEMM in the convolution kernels goes through here.
 *
 * One caveat of that cache: it is keyed by the right operand's buffer and not its shape, so the
 * same buffer must not be a right operand under two different [K, N] views (tfjs-backend-wasm
 * then aborts). The callers keep to that: a filter is only ever [KH*KW*CI, CO], an activation
 * [pixels, channels], a gradient [pixels, channels], and every other right operand is new.
 */
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { KernelScope } from './kernel-call';

/** Optional epilogue of {@link gemm}, as tfjs's fused ops name it. */
export interface GemmEpilogue {
  /** Added to every row ([N]). */
  bias?: TensorInfo;
  /** tfjs fusable activation name ('linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'). */
  activation?: string;
  /** Slope for x < 0 when activation is 'leakyrelu'. */
  leakyreluAlpha?: number;
}

/**
 * out [M, N] = a [M, K] · b [K, N] (+ bias, activation). `a` and `b` may have any shapes with
 * those sizes (their row-major data is what counts); `b` is the operand XNNPACK packs, so pass
 * the smaller one there when there is a choice.
 */
export function gemm(
  s: KernelScope,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
  epilogue: GemmEpilogue = {},
): TensorInfo {
  const inputs: Record<string, TensorInfo> = { a: s.reshape(a, [1, m, k]), b: s.reshape(b, [1, k, n]) };
  if (epilogue.bias != null) inputs.bias = epilogue.bias;
  const attrs = {
    transposeA: false,
    transposeB: false,
    activation: epilogue.activation ?? 'linear',
    leakyreluAlpha: epilogue.leakyreluAlpha ?? 0,
  } as unknown as NamedAttrMap;
  return s.reshape(s.run('_FusedMatMul', inputs, attrs), [m, n]);
}
