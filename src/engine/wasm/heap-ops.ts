/**
 * Memory-bound rearrangements done by plain loops over the wasm heap.
 *
 * For pure data movement a JIT-compiled JS loop over Float32Array views of the wasm memory is as
 * fast as tfjs-backend-wasm's generic Reverse / StridedSlice kernels, and lets two steps (flip +
 * transpose, strided pick + transpose, scatter-add of patches) happen in one pass.
 */
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm used here (not in its public typings). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

function heap(backend: KernelBackend): WasmHeapBackend {
  return backend as unknown as WasmHeapBackend;
}

/** w [KH, KW, CI, CO] -> out [KH, KW, CO, CI] with out[i, j, o, c] = w[KH-1-i, KW-1-j, c, o]. */
export function flipSwapFilter(backend: KernelBackend, w: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = w.shape;
  const b = heap(backend);
  const out = b.makeOutput([kh, kw, co, ci], 'float32');
  const src = b.typedArrayFromHeap(w);
  const dst = b.typedArrayFromHeap(out);
  const plane = ci * co;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * plane;
      const d0 = (i * kw + j) * plane;
      for (let c = 0; c < ci; c++) {
        const s = s0 + c * co;
        for (let o = 0; o < co; o++) dst[d0 + o * ci + c] = src[s + o];
      }
    }
  }
  return out;
}

/**
 * Scatter-adds patches back into an image: p [N, OH, OW, KH*KW*C] holds, for every output pixel,
 * the contribution to each input pixel its kernel window covers; the result dx [N, H, W, C] is
 * dx[n, oh*sh + i - pt, ow*sw + j - pl, c] += p[n, oh, ow, (i, j, c)], out-of-image taps dropped.
 */
export function col2im(
  backend: KernelBackend,
  p: TensorInfo,
  inShape: number[],
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
): TensorInfo {
  const [n, oh, ow] = p.shape;
  const [, h, w, c] = inShape;
  const b = heap(backend);
  const out = b.makeOutput([n, h, w, c], 'float32');
  const src = b.typedArrayFromHeap(p);
  const dst = b.typedArrayFromHeap(out);
  dst.fill(0);
  const patch = kh * kw * c;
  let s = 0;
  for (let bn = 0; bn < n; bn++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++, s += patch) {
        for (let i = 0; i < kh; i++) {
          const r = y * sh + i - pt;
          if (r < 0 || r >= h) continue;
          for (let j = 0; j < kw; j++) {
            const q = x * sw + j - pl;
            if (q < 0 || q >= w) continue;
            const d = ((bn * h + r) * w + q) * c;
            const t = s + (i * kw + j) * c;
            for (let ch = 0; ch < c; ch++) dst[d + ch] += src[t + ch];
          }
        }
      }
    }
  }
  return out;
}

/**
 * The adjoint of im2col(..., transposed = true): scatter-adds pT [1, 1, KH*KW*C, N*OH*OW] back into
 * dx [N, H, W, C] (taps that fall outside the image are dropped).
 */
export function col2imTransposed(
  backend: KernelBackend,
  pT: TensorInfo,
  inShape: number[],
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
  oh: number,
  ow: number,
): TensorInfo {
  const [n, h, w, c] = inShape;
  const b = heap(backend);
  const cols = n * oh * ow;
  const out = b.makeOutput([n, h, w, c], 'float32');
  const src = b.typedArrayFromHeap(pT);
  const dst = b.typedArrayFromHeap(out);
  dst.fill(0);
  let col = 0;
  for (let bn = 0; bn < n; bn++) {
    for (let y = 0; y < oh; y++) {
      for (let q = 0; q < ow; q++, col++) {
        for (let i = 0; i < kh; i++) {
          const r = y * sh + i - pt;
          if (r < 0 || r >= h) continue;
          for (let j = 0; j < kw; j++) {
            const s = q * sw + j - pl;
            if (s < 0 || s >= w) continue;
            const to = ((bn * h + r) * w + s) * c;
            let from = (i * kw + j) * c * cols + col;
            for (let ch = 0; ch < c; ch++, from += cols) dst[to + ch] += src[from];
          }
        }
      }
    }
  }
  return out;
}

/**
 * im2col: x [N, H, W, C] -> out [1, 1, N*OH*OW, KH*KW*C] with
 * out[(n, y, q), (i, j, c)] = x[n, y*sh + i - pt, q*sw + j - pl, c], 0 outside the image:
 * each row is one output pixel's whole receptive field, so the convolution is this matrix times
 * the filter seen as [KH*KW*C, CO].
 * `transposed` gives out [1, 1, KH*KW*C, N*OH*OW] instead: row (i, j, c) holds every value
 * kernel tap (i, j) reads of channel c, so the filter gradient is this matrix times
 * dy [N*OH*OW, CO], a GEMM whose long side is the taps.
 */
export function im2col(
  backend: KernelBackend,
  x: TensorInfo,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
  oh: number,
  ow: number,
  transposed = false,
): TensorInfo {
  const [n, h, w, c] = x.shape;
  const b = heap(backend);
  const pixels = n * oh * ow;
  const patch = kh * kw * c;
  const out = b.makeOutput(transposed ? [1, 1, patch, pixels] : [1, 1, pixels, patch], 'float32');
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  dst.fill(0);
  let pixel = 0;
  for (let bn = 0; bn < n; bn++) {
    for (let y = 0; y < oh; y++) {
      for (let q = 0; q < ow; q++, pixel++) {
        for (let i = 0; i < kh; i++) {
          const r = y * sh + i - pt;
          if (r < 0 || r >= h) continue;
          for (let j = 0; j < kw; j++) {
            const s = q * sw + j - pl;
            if (s < 0 || s >= w) continue;
            const from = ((bn * h + r) * w + s) * c;
            const tap = (i * kw + j) * c;
            if (!transposed) {
              dst.set(src.subarray(from, from + c), pixel * patch + tap);
            } else {
              for (let ch = 0, to = tap * pixels + pixel; ch < c; ch++, to += pixels) dst[to] = src[from + ch];
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * x viewed as [rows, cols] -> out [cols, rows] (shape `outShape`), in 32x32 tiles so that both
 * the reads and the writes stay within a few cache lines: tfjs-backend-wasm's Transpose walks
 * the output with a stride of `rows` and was measured ~2.5x slower on a 1024x2048 matrix.
 */
export function transpose2d(
  backend: KernelBackend,
  x: TensorInfo,
  rows: number,
  cols: number,
  outShape: number[] = [cols, rows],
): TensorInfo {
  const b = heap(backend);
  const out = b.makeOutput(outShape, 'float32');
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  const tile = 32;
  for (let i0 = 0; i0 < rows; i0 += tile) {
    const i1 = Math.min(i0 + tile, rows);
    for (let j0 = 0; j0 < cols; j0 += tile) {
      const j1 = Math.min(j0 + tile, cols);
      for (let i = i0; i < i1; i++) {
        const s = i * cols;
        for (let j = j0; j < j1; j++) dst[j * rows + i] = src[s + j];
      }
    }
  }
  return out;
}

/**
 * x [N, H, W, C] -> out [N, OH, OW, C] with out[n, i, j, c] = x[n, i*sh, j*sw, c]: the pixels a
 * 1x1 kernel of stride (sh, sw) reads, channels last (contiguous runs of C values).
 * `transposed` gives out [1, 1, C, N*OH*OW], channels first, the left operand of the 1x1
 * filter gradient.
 */
export function pickPixels(
  backend: KernelBackend,
  x: TensorInfo,
  sh: number,
  sw: number,
  oh: number,
  ow: number,
  transposed = false,
): TensorInfo {
  const [n, h, w, c] = x.shape;
  const b = heap(backend);
  const pixels = n * oh * ow;
  const out = b.makeOutput(transposed ? [1, 1, c, pixels] : [n, oh, ow, c], 'float32');
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  let pixel = 0;
  for (let bn = 0; bn < n; bn++) {
    for (let i = 0; i < oh; i++) {
      const row = (bn * h + i * sh) * w;
      for (let j = 0; j < ow; j++, pixel++) {
        const from = (row + j * sw) * c;
        if (!transposed) {
          dst.set(src.subarray(from, from + c), pixel * c);
        } else {
          for (let ch = 0; ch < c; ch++) dst[ch * pixels + pixel] = src[from + ch];
        }
      }
    }
  }
  return out;
}
