/**
 * Per-kernel timings on wasm for the convolution shapes of ResNet-50 (any-size) at 48x48:
 * forward Conv2D, our Conv2DBackpropFilter / Conv2DBackpropInput, and tfjs-backend-wasm's own
 * Conv2DBackpropInput (a C++ loop) for comparison.
 *
 *   npx ts-node bench/kernels.ts [--batch 32] [--reps 3]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as os from 'node:os';
import { registerWasmTrainingKernels } from '../src/wasm';

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

function time(reps: number, fn: () => tf.Tensor): number {
  fn().dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const out = fn();
    out.dataSync();
    out.dispose();
  }
  return (performance.now() - t0) / reps;
}

async function main(): Promise<void> {
  const batch = Number(arg('batch', '32'));
  const reps = Number(arg('reps', '3'));
  await tf.setBackend('wasm');
  await tf.ready();
  const native = tf.getKernel('Conv2DBackpropInput', 'wasm');
  registerWasmTrainingKernels();
  console.log(`batch ${batch}, load ${os.loadavg()[0].toFixed(2)} (others share the CPU: noisy)`);
  console.log('shape                  fwd ms  dW ms   dX ms   dX native ms');
  for (const [name, side, ci, k, s, co] of SHAPES) {
    const x = tf.randomNormal([batch, side, side, ci]) as tf.Tensor4D;
    const w = tf.randomNormal([k, k, ci, co]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s, 'same');
    const dy = tf.randomNormal(y.shape);
    const attrs = { strides: s, pad: 'same', dataFormat: 'NHWC' } as const;
    const fwd = time(reps, () => tf.conv2d(x, w, s, 'same'));
    const dW = time(reps, () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor);
    const dX = time(reps, () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor);
    const backend = tf.backend();
    const dXNative = time(reps, () => {
      const info = native.kernelFunc({ inputs: { dy, filter: w }, attrs: { ...attrs, inputShape: x.shape }, backend }) as tf.TensorInfo;
      return tf.engine().makeTensorFromTensorInfo(info);
    });
    console.log(`${name.padEnd(22)} ${[fwd, dW, dX, dXNative].map((v) => v.toFixed(1).padStart(7)).join(' ')}`);
    tf.dispose([x, w, y, dy]);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
