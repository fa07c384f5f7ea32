/**
 * Forward convolutions as GEMMs where that is faster on wasm: every 1x1 convolution, and KxK
 * convolutions on tiny maps.
 *
 * - 1x1: out [N*OH*OW, CO] = x [N*OH*OW, CI] · W [CI, CO] (strided pixels picked first). As a
 *   GEMM, the weights are packed in one pass instead of transposed and then packed (gemm.ts);
 *   in training the weights are new every step, so that is paid on every call.
 * - KxK with at most `tapGemmPixels()` output pixels (N*OH*OW; at 48x48 input the 3x3 convs of
 *   the last two stages, on 3x3 and 2x2 maps): im2col, one row of KH*KW*CI values per output
 *   pixel, then one GEMM with the filter seen as [KH*KW*CI, CO]. XNNPACK's own convolution has
 *   only a few pixels per image to spread over its threads there.
 * Bias and activation stay fused. Everything else (larger maps, dilation, NCHW, PReLU) goes to
 * tfjs-backend-wasm's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { kernelInFrontOf, KernelScope } from './kernel-call';
import { im2col } from './heap-ops';
import { gemm } from './gemm';
import { pointwiseInside, pointwiseRows, tapGemmPixels } from './conv-grads';

type Shape4 = [number, number, number, number];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
}

/** The conv as a GEMM, or null when the backend's own kernel should run it. */
function convAsGemm(s: KernelScope, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, attrs: ConvAttrs): TensorInfo | null {
  const [kh, kw, ci, co] = filter.shape as Shape4;
  // A bias other than [CO] (e.g. a broadcast [1]) is what tfjs-backend-wasm's own kernel rejects: let it say so.
  if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || (bias != null && (bias.shape.length !== 1 || bias.shape[0] !== co))) {
    return null;
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const { batchSize: n, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { top: pt, left: pl } = info.padInfo;
  const pixels = n * oh * ow;
  const epilogue = { bias, activation: attrs.activation ?? 'linear', leakyreluAlpha: attrs.leakyreluAlpha };
  let rows: TensorInfo;
  if (kh === 1 && kw === 1 && pointwiseInside(info)) {
    rows = pointwiseRows(s, x, info);
  } else if (pixels <= tapGemmPixels()) {
    rows = s.track(im2col(s.backend, x, kh, kw, sh, sw, pt, pl, oh, ow));
  } else {
    return null;
  }
  return s.reshape(gemm(s, rows, filter, pixels, kh * kw * ci, co, epilogue), [n, oh, ow, co]);
}

/** FusedConv2D and Conv2D kernels for `backendName`, GEMM paths in front of the backend's own. */
export function convForwardKernelConfigs(backendName: string): KernelConfig[] {
  return (['FusedConv2D', 'Conv2D'] as const).map((kernelName) =>
    kernelInFrontOf(kernelName, backendName, (args) => {
      const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
      if (preluActivationWeights != null) return null;
      const s = new KernelScope(backendName, args.backend as KernelBackend);
      try {
        const out = convAsGemm(s, x!, filter!, bias, args.attrs as unknown as ConvAttrs);
        return out == null ? null : s.keep(out);
      } finally {
        s.dispose();
      }
    }),
  );
}
