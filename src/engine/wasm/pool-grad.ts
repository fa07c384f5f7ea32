/**
 * MaxPoolGrad for the wasm backend as one pass over the heap.
 *
 * tfjs-backend-wasm's own MaxPoolGrad took 32 ms for the any-size ResNet-50's stem pool at 48x48,
 * batch 32 (3x3/2 over [32, 24, 24, 64]): more than the rest of that layer's backward pass.
 * Here each output pixel scans its window once for all channels (NHWC keeps them contiguous)
 * and adds dy at the first maximum in row-major window order, as tfjs-backend-cpu does, so ties
 * (common after a ReLU) go to the same input.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm used here (not in its public typings). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as PoolAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: c,
    outHeight: oh,
    outWidth: ow,
    strideHeight: sh,
    strideWidth: sw,
    filterHeight: fh,
    filterWidth: fw,
  } = info;
  const { top: pt, left: pl } = info.padInfo;
  const b = backend as unknown as WasmHeapBackend;
  const out = b.makeOutput(input.shape, 'float32');
  // Views only after the allocation: a heap growth detaches earlier ones.
  const x = b.typedArrayFromHeap(input);
  const g = b.typedArrayFromHeap(dy);
  const dx = b.typedArrayFromHeap(out);
  dx.fill(0);
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  let o = 0;
  for (let bn = 0; bn < n; bn++) {
    for (let y = 0; y < oh; y++) {
      const r0 = Math.max(0, y * sh - pt);
      const r1 = Math.min(h, y * sh - pt + fh);
      for (let q = 0; q < ow; q++, o += c) {
        const q0 = Math.max(0, q * sw - pl);
        const q1 = Math.min(w, q * sw - pl + fw);
        best.fill(-Infinity);
        at.fill(-1);
        for (let r = r0; r < r1; r++) {
          for (let s = q0; s < q1; s++) {
            const base = ((bn * h + r) * w + s) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                at[ch] = base + ch;
              }
            }
          }
        }
        for (let ch = 0; ch < c; ch++) if (at[ch] >= 0) dx[at[ch]] += g[o + ch];
      }
    }
  }
  return out;
};

/** MaxPoolGrad on `backendName` (float32, NHWC, dilation 1: what tfjs-layers emits). */
export function poolGradKernelConfigs(backendName: string): KernelConfig[] {
  return [{ kernelName: 'MaxPoolGrad', backendName, kernelFunc: maxPoolGrad }];
}
