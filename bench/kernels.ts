/**
 * Per-kernel timings on wasm for the convolution shapes of ResNet-50 (any-size) at 48x48:
 * forward Conv2D, our Conv2DBackpropFilter / Conv2DBackpropInput, and tfjs-backend-wasm's own
 * Conv2DBackpropInput (a C++ loop) for comparison. Every call gets a new weight buffer, as in
 * training (the optimizer replaces the weights each step, so XNNPACK re-packs them each call).
 *
 *   npx ts-node bench/kernels.ts [--backend wasm|wasm-threaded] [--batch 32] [--reps 3]
 *   npx ts-node bench/kernels.ts --gemm [--backend wasm|wasm-threaded] [--reps 5]
 *
 * --gemm compares, for the products ResNet-50's deep layers need, tfjs-backend-wasm's 1x1
 * Conv2D against its BatchMatMul, with the right operand new on every call and cached.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as os from 'node:os';
import { registerThreadedWasmBackend, registerWasmTrainingKernels } from '../src/engine/wasm';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** [name, input side, in channels, kernel, stride, out channels] at a 48x48 input. */
const SHAPES: Array<[string, number, number, number, number, number]> = [
  ['conv1 7x7/2', 48, 1, 7, 2, 64],
  ['s1 1x1 256->64', 12, 256, 1, 1, 64],
  ['s1 3x3 64', 12, 64, 3, 1, 64],
  ['s1 1x1 64->256', 12, 64, 1, 1, 256],
  ['s2 1x1/2 256->128', 12, 256, 1, 2, 128],
  ['s2 3x3 128', 6, 128, 3, 1, 128],
  ['s3 3x3 256', 3, 256, 3, 1, 256],
  ['s3 1x1 256->1024', 3, 256, 1, 1, 1024],
  ['s4 3x3 512', 2, 512, 3, 1, 512],
];

/** Mean ms of `fn(w)` over `reps` calls after one warm-up, each on a new copy of `w` (made untimed) when `fresh`. */
function time(reps: number, w: tf.Tensor, fn: (w: tf.Tensor) => tf.Tensor, fresh = true): number {
  let total = 0;
  for (let i = 0; i <= reps; i++) {
    const wi = fresh ? tf.add(w, 0) : w;
    wi.dataSync();
    const t0 = performance.now();
    const out = fn(wi);
    out.dataSync();
    if (i > 0) total += performance.now() - t0;
    out.dispose();
    if (fresh) wi.dispose();
  }
  return total / reps;
}

/** [M, K] x [K, N] products of the deep layers at batch 32 (1x1 convs, 3x3 convs as im2col). */
const PRODUCTS: Array<[string, number, number, number]> = [
  ['s3 1x1/2 1024->2048', 128, 1024, 2048],
  ['s4 3x3 512 (im2col)', 128, 4608, 512],
  ['s4 1x1 2048->512', 128, 2048, 512],
  ['s1 1x1 64->256', 4608, 64, 256],
];

/** --gemm: 1x1 Conv2D (tfjs-backend-wasm's own kernel) against BatchMatMul, fresh and cached right operand. */
function gemmTable(reps: number, nativeConv: tf.KernelConfig): void {
  console.log('product                 M     K     N    conv fresh  matmul fresh  conv cached  matmul cached (ms)');
  for (const [name, m, k, n] of PRODUCTS) {
    const a = tf.randomNormal([m, k]) as tf.Tensor2D;
    const w = tf.randomNormal([k, n]) as tf.Tensor2D;
    const backend = tf.backend();
    const conv = (wi: tf.Tensor) => {
      const x = a.reshape([1, 1, m, k]);
      const f = wi.reshape([1, 1, k, n]);
      const info = nativeConv.kernelFunc({
        inputs: { x, filter: f },
        attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 },
        backend,
      }) as tf.TensorInfo;
      tf.dispose([x, f]);
      return tf.engine().makeTensorFromTensorInfo(info);
    };
    const mm = (wi: tf.Tensor) => tf.matMul(a, wi as tf.Tensor2D);
    const cells = [time(reps, w, conv), time(reps, w, mm), time(reps, w, conv, false), time(reps, w, mm, false)];
    console.log(
      `${name.padEnd(22)} ${[m, k, n].map((v) => String(v).padStart(5)).join(' ')} ${cells.map((v) => v.toFixed(1).padStart(12)).join(' ')}`,
    );
    tf.dispose([a, w]);
  }
}

async function main(): Promise<void> {
  const batch = Number(arg('batch', '32'));
  const reps = Number(arg('reps', '3'));
  const backendName = arg('backend', 'wasm');
  // tfjs-backend-wasm's own kernels, kept before ours replace them (the threaded backend reuses them).
  const native = { ...tf.getKernel('Conv2DBackpropInput', 'wasm')! };
  const nativeConv = { ...tf.getKernel('Conv2D', 'wasm')! };
  if (backendName === 'wasm-threaded') await registerThreadedWasmBackend({ threads: 2 });
  else registerWasmTrainingKernels();
  await tf.setBackend(backendName);
  await tf.ready();
  console.log(`${backendName}, batch ${batch}, load ${os.loadavg()[0].toFixed(2)} (others share the CPU: noisy)`);
  if (process.argv.includes('--gemm')) {
    gemmTable(reps, nativeConv);
    return;
  }
  console.log('shape                  fwd ms  dW ms   dX ms   dX native ms');
  for (const [name, side, ci, k, s, co] of SHAPES) {
    const x = tf.randomNormal([batch, side, side, ci]) as tf.Tensor4D;
    const w = tf.randomNormal([k, k, ci, co]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s, 'same');
    const dy = tf.randomNormal(y.shape);
    const attrs = { strides: s, pad: 'same', dataFormat: 'NHWC' } as const;
    const fwd = time(reps, w, (wi) => tf.conv2d(x, wi as tf.Tensor4D, s, 'same'));
    const dW = time(
      reps,
      dy,
      (dyi) => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dyi }, { ...attrs, filterShape: w.shape }) as tf.Tensor,
    );
    const dX = time(
      reps,
      w,
      (wi) => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: wi }, { ...attrs, inputShape: x.shape }) as tf.Tensor,
    );
    const backend = tf.backend();
    // tfjs-backend-wasm's own kernel binds its C function on the plain 'wasm' backend only.
    const dXNative =
      backendName !== 'wasm'
        ? NaN
        : time(reps, w, (wi) => {
            const info = native.kernelFunc({
              inputs: { dy, filter: wi },
              attrs: { ...attrs, inputShape: x.shape },
              backend,
            }) as tf.TensorInfo;
            return tf.engine().makeTensorFromTensorInfo(info);
          });
    console.log(`${name.padEnd(22)} ${[fwd, dW, dX, dXNative].map((v) => v.toFixed(1).padStart(7)).join(' ')}`);
    tf.dispose([x, w, y, dy]);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    // exit: the threaded backend's idle workers keep Node alive
    console.error(e);
    process.exit(1);
  },
);
