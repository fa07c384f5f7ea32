/**
 * Convolution gradients for the wasm backend, expressed as forward Conv2D calls so that they run
 * on XNNPACK's fast convolution paths.
 *
 * tfjs-backend-wasm has no Conv2DBackpropFilter at all, and its Conv2DBackpropInput is a plain
 * C++ loop; both are re-expressed here:
 *  - filter gradient, 1x1: a matrix product x^T·dy, written as a 1x1 Conv2D over a one-row
 *    "image" (wasm's BatchMatMul is several times slower than its Conv2D);
 *  - filter gradient, KxK: a Conv2D over x seen as [C, H, W, N] (channels as batch, batch as
 *    channels) with dy seen as an [OH, OW, N, CO] filter, dilated by the forward stride;
 *  - input gradient: a stride-1 Conv2D of dy (zero-inserted when the forward stride is > 1) with
 *    the kernel flipped and its in/out channels swapped; for 1x1 kernels the convolution runs
 *    first on the small dy and only its result is zero-inserted.
 * Only channelsLast and dilation 1 are handled, which is everything tfjs-layers emits for ResNet.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { KernelScope } from './kernel-call';
import { col2im, col2imTransposed, flipSwapFilter, im2col, pickPixels, transpose2d } from './heap-ops';
import { gemm } from './gemm';

type Shape4 = [number, number, number, number];

/** Up to this many input channels, the input gradient of a KxK conv goes through col2im. */
const SMALL_INPUT_CHANNELS = 4;

/**
 * Up to this many output pixels (N*OH*OW), both gradients of a KxK conv (and, in
 * conv-forward.ts, the forward conv) are GEMMs over (tap, channel) rows instead of convolutions: on tiny maps (2x2, 3x3 at 48x48 input) the
 * convolution formulations run with few pixels per XNNPACK call, while the GEMMs have
 * KH*KW*C rows. Measured at batch 32 (bench/kernels.ts): 3x3 512 on 2x2 maps dW 31 -> 23 ms,
 * dX 46 -> 24 ms; 3x3 256 on 3x3 maps dW 16 -> 14, dX 19 -> 14; worse from 6x6 (1152 pixels).
 */
let tapGemmMaxPixels = Number(process.env.FACIAL_TAP_GEMM_PIXELS ?? 512);

/** The pixel count up to which KxK convolutions (gradients here, forward in conv-forward.ts) are GEMMs. */
export function tapGemmPixels(): number {
  return tapGemmMaxPixels;
}

/** Sets the pixel count up to which KxK conv gradients use the tap GEMMs (0: never); for tests and benchmarks. */
export function setTapGemmMaxPixels(pixels: number): void {
  tapGemmMaxPixels = pixels;
}

/**
 * Whether a 1x1 kernel reads only real pixels: no padding before, and the last output pixel's
 * input inside the image (bottom/right padding or 'ceil' rounding can put it outside, where the
 * im2col path reads zeros).
 */
export function pointwiseInside(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    (info.outHeight - 1) * info.strideHeight < info.inHeight &&
    (info.outWidth - 1) * info.strideWidth < info.inWidth
  );
}

/**
 * x [N, H, W, C] seen as the [N*OH*OW, C] rows a 1x1 kernel of stride (sh, sw) reads: x itself
 * when that is every pixel, else a tracked strided pick. Only where pointwiseInside holds.
 */
export function pointwiseRows(s: KernelScope, x: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  if (sh === 1 && sw === 1 && oh === info.inHeight && ow === info.inWidth) return x;
  return s.track(pickPixels(s.backend, x, sh, sw, oh, ow));
}

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function convInfoFor(xShape: Shape4, filterShape: Shape4, attrs: ConvGradAttrs, kernel: string) {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} (wasm training kernels): only NHWC is supported`);
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/** Forward Conv2D with explicit [top, bottom] / [left, right] padding (all >= 0). */
function conv(
  s: KernelScope,
  x: TensorInfo,
  filter: TensorInfo,
  pads: [number, number, number, number],
  dilation: [number, number] = [1, 1],
): TensorInfo {
  const [t, b, l, r] = pads;
  const pad =
    (t | b | l | r) === 0
      ? 'valid'
      : [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ];
  return s.run('Conv2D', { x, filter }, { strides: [1, 1], dilations: dilation, pad, dataFormat: 'NHWC' } as NamedAttrMap);
}

/**
 * Spreads the rows and columns of x [N, H, W, C] apart: out[n, i*sh, j*sw, c] = x[n, i, j, c],
 * zeros elsewhere; shape [N, H*sh, W*sw, C] (the trailing zeros are for the caller to crop).
 */
function zeroInsert(s: KernelScope, x: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, h, w, c] = x.shape;
  let y = x;
  if (sw > 1)
    y = s.pad(s.reshape(y, [n * h, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
  if (sh > 1)
    y = s.pad(s.reshape(y, [n, h, 1, w * sw * c]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
  return s.reshape(y, [n, h * sh, w * sw, c]);
}

/** Pads (positive) or crops (negative) the end of axes 1 and 2 of a 4-D tensor. */
function padOrCropEnd(s: KernelScope, x: TensorInfo, dh: number, dw: number): TensorInfo {
  let y = x;
  if (dh < 0 || dw < 0) {
    const [n, h, w, c] = y.shape;
    y = s.slice(y, [0, 0, 0, 0], [n, h + Math.min(dh, 0), w + Math.min(dw, 0), c]);
  }
  if (dh > 0 || dw > 0)
    y = s.pad(y, [
      [0, 0],
      [0, Math.max(dh, 0)],
      [0, Math.max(dw, 0)],
      [0, 0],
    ]);
  return y;
}

/** dW for y = conv2d(x, W): the kernel function body, on TensorInfos. */
export function conv2DBackpropFilterImpl(
  s: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  filterShape: Shape4,
  attrs: ConvGradAttrs,
): TensorInfo {
  const info = convInfoFor(x.shape as Shape4, filterShape, attrs, 'Conv2DBackpropFilter');
  const {
    batchSize: n,
    inChannels: ci,
    outChannels: co,
    strideHeight: sh,
    strideWidth: sw,
    filterHeight: kh,
    filterWidth: kw,
    outHeight: oh,
    outWidth: ow,
    inHeight: h,
    inWidth: w,
  } = info;
  const { top: pt, left: pl } = info.padInfo;

  if (kh === 1 && kw === 1 && pointwiseInside(info)) {
    // One GEMM over the input pixels the 1x1 kernel reads: dW = x^T·dy packs dy [k, co];
    // dW^T = dy^T·x packs x [k, ci] but transposes dy and the result. Packing costs about twice
    // a transpose per value (bench/kernels.ts --gemm), so the second wins for expanding 1x1
    // convs on large maps (64 -> 256 at 12x12: 10 -> 6 ms).
    const k = n * oh * ow;
    if (5 * k * ci + 3 * ci * co < 3 * k * co) {
      const xs = pointwiseRows(s, x, info);
      const dyT = s.track(transpose2d(s.backend, dy, k, co));
      const dwT = gemm(s, dyT, xs, co, k, ci);
      return transpose2d(s.backend, dwT, co, ci, [1, 1, ci, co]);
    }
    const xT = s.track(pickPixels(s.backend, x, sh, sw, oh, ow, true));
    return s.keep(s.reshape(gemm(s, xT, dy, ci, k, co), [1, 1, ci, co]));
  }

  if (n * oh * ow <= tapGemmMaxPixels) {
    // dW[(i, j, c), o] = sum_pixels im2col(x)^T[(i, j, c), pixel] * dy[pixel, o]
    const cols = s.track(im2col(s.backend, x, kh, kw, sh, sw, pt, pl, oh, ow, true));
    return s.keep(s.reshape(gemm(s, cols, dy, kh * kw * ci, n * oh * ow, co), filterShape));
  }

  // out[c, i, j, o] = sum_{p, q, b} xT[c, i + p*sh - pt, j + q*sw - pl, b] * dyT[p, q, b, o]
  const padBottom = (oh - 1) * sh + kh - h - pt;
  const padRight = (ow - 1) * sw + kw - w - pl;
  const xT = padOrCropEnd(s, s.transpose(x, [3, 1, 2, 0]), Math.min(padBottom, 0), Math.min(padRight, 0));
  const dyT = s.transpose(dy, [1, 2, 0, 3]);
  const dwT = conv(s, xT, dyT, [pt, Math.max(padBottom, 0), pl, Math.max(padRight, 0)], [sh, sw]);
  return s.keep(s.transpose(dwT, [1, 2, 0, 3]));
}

/** dx for y = conv2d(x, W): the kernel function body, on TensorInfos. */
export function conv2DBackpropInputImpl(
  s: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: Shape4,
  attrs: ConvGradAttrs,
): TensorInfo {
  const info = convInfoFor(inputShape, filter.shape as Shape4, attrs, 'Conv2DBackpropInput');
  const {
    strideHeight: sh,
    strideWidth: sw,
    filterHeight: kh,
    filterWidth: kw,
    outHeight: oh,
    outWidth: ow,
    inHeight: h,
    inWidth: w,
    inChannels: ci,
    outChannels: co,
  } = info;
  const { top: pt, left: pl } = info.padInfo;

  const pixels = info.batchSize * oh * ow;
  if (kh === 1 && kw === 1 && pt === 0 && pl === 0) {
    let dx = s.reshape(inputGradient1x1(s, dy, filter, pixels, ci, co), [info.batchSize, oh, ow, ci]);
    if (sh > 1 || sw > 1) dx = zeroInsert(s, dx, sh, sw);
    return s.keep(padOrCropEnd(s, dx, h - oh * sh, w - ow * sw));
  }

  if (ci <= SMALL_INPUT_CHANNELS) {
    // Few input channels (the stem conv, whose input gradient tfjs's fused conv computes even
    // though nothing uses it): a stride-1 conv would have ci outputs and run poorly, so take
    // the per-pixel patch gradients as one GEMM and scatter-add them.
    const wT = s.track(transpose2d(s.backend, filter, kh * kw * ci, co));
    const patches = s.reshape(gemm(s, dy, wT, pixels, co, kh * kw * ci), [info.batchSize, oh, ow, kh * kw * ci]);
    return col2im(s.backend, patches, inputShape, kh, kw, sh, sw, pt, pl);
  }

  if (pixels <= tapGemmMaxPixels) {
    // patches^T[(i, j, c), pixel] = W[(i, j, c), o] * dy^T[o, pixel], then scatter-add.
    const dyT = s.track(transpose2d(s.backend, dy, pixels, co));
    const pT = gemm(s, filter, dyT, kh * kw * ci, co, pixels);
    return col2imTransposed(s.backend, pT, inputShape, kh, kw, sh, sw, pt, pl, oh, ow);
  }

  // dx[i] = sum_k dyZ[i + pt - (kh-1) + k] * Wflip[k], dyZ = dy zero-inserted by the stride.
  const wFlip = s.track(flipSwapFilter(s.backend, filter));
  let dyZ = dy;
  let zh = oh;
  let zw = ow;
  if (sh > 1 || sw > 1) {
    dyZ = zeroInsert(s, dy, sh, sw);
    zh = oh * sh;
    zw = ow * sw;
  }
  const padBottom = h - 1 + pt - (zh - 1);
  const padRight = w - 1 + pl - (zw - 1);
  dyZ = padOrCropEnd(s, dyZ, Math.min(padBottom, 0), Math.min(padRight, 0));
  return s.keep(conv(s, dyZ, wFlip, [kh - 1 - pt, Math.max(padBottom, 0), kw - 1 - pl, Math.max(padRight, 0)]));
}

/**
 * dx [P, CI] = dy [P, CO] · W^T for a 1x1 kernel W [CI, CO]. Either W is transposed and packed
 * (CI*CO values twice), or the product is taken transposed, dx^T = W · dy^T, and dy^T packed
 * (CO*P values twice, plus CI*P to transpose back): at ResNet's deep layers, with few pixels
 * and wide kernels, the second moves far less.
 */
function inputGradient1x1(s: KernelScope, dy: TensorInfo, filter: TensorInfo, pixels: number, ci: number, co: number): TensorInfo {
  if (2 * co * pixels + ci * pixels < 2 * ci * co) {
    const dyT = s.track(transpose2d(s.backend, dy, pixels, co));
    const dxT = gemm(s, filter, dyT, ci, co, pixels);
    return s.track(transpose2d(s.backend, dxT, ci, pixels));
  }
  const wT = s.track(transpose2d(s.backend, filter, ci, co));
  return gemm(s, dy, wT, pixels, co, ci);
}

function scoped(backendName: string, backend: KernelBackend, body: (s: KernelScope) => TensorInfo): TensorInfo {
  const s = new KernelScope(backendName, backend);
  try {
    return body(s);
  } finally {
    s.dispose();
  }
}

/** Kernel configs for Conv2DBackpropFilter / Conv2DBackpropInput on `backendName`. */
export function convGradKernelConfigs(backendName: string): KernelConfig[] {
  const filterGrad: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as ConvGradAttrs & { filterShape: Shape4 };
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    return scoped(backendName, backend as KernelBackend, (s) => conv2DBackpropFilterImpl(s, x, dy, a.filterShape, a));
  };
  const inputGrad: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as ConvGradAttrs & { inputShape: Shape4 };
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    return scoped(backendName, backend as KernelBackend, (s) => conv2DBackpropInputImpl(s, dy, filter, a.inputShape, a));
  };
  return [
    { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: filterGrad },
    { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc: inputGrad },
  ];
}
