/**
 * The wasm training kernels against the cpu backend's own kernels, on random inputs over the
 * convolution shapes ResNet-50 uses. Tolerance: max |wasm - cpu| <= 1e-3 * (1 + max |cpu|);
 * the sums run over up to a few hundred float32 products, so rounding differences of ~1e-5
 * relative are expected and an indexing mistake gives errors of order 1.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../../src/engine/wasm';
import { setTapGemmMaxPixels } from '../../../src/engine/wasm/conv-grads';
import { assertClose, randomArray, runOn } from '../../helpers/kernel-compare';

interface Case {
  k: number;
  s: number;
  pad: 'same' | 'valid';
  h: number;
  w: number;
  ci: number;
  co: number;
  n: number;
}

const cases: Case[] = [];
for (const k of [1, 3, 7]) {
  for (const s of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const [h, w] of [
        [7, 7],
        [13, 8],
        [25, 25],
      ]) {
        cases.push({ k, s, pad, h, w, ci: k === 7 ? 1 : 5, co: 6, n: 2 });
      }
    }
  }
}
// Deep-layer proportions, few pixels and wide kernels: the 1x1 input gradient is then taken
// transposed (dx^T = W dy^T), and the KxK ones on the tap GEMMs.
for (const [k, s, h, w] of [
  [1, 1, 2, 3],
  [1, 2, 3, 3],
  [3, 1, 2, 2],
  [3, 2, 3, 3],
]) {
  cases.push({ k, s, pad: 'same', h, w, ci: 24, co: 40, n: 2 });
}
// An expanding 1x1 conv on a larger map: its filter gradient is taken transposed (dW^T = dy^T x).
for (const s of [1, 2]) cases.push({ k: 1, s, pad: 'same', h: 7, w: 7, ci: 3, co: 24, n: 2 });

before(async () => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // idempotent
  await tf.setBackend('wasm');
  await tf.ready();
});

// KxK gradients have two formulations (tap GEMMs on small maps, convolutions otherwise): test both.
const variants: Array<[string, number]> = [
  ['tap GEMM', Infinity],
  ['convolution', 0],
];
for (const c of cases)
  for (const [variant, maxPixels] of c.k === 1 ? variants.slice(1) : variants) {
    if (c.pad === 'valid' && (c.h < c.k || c.w < c.k)) continue;
    const label = `${c.k}x${c.k} stride ${c.s} ${c.pad} on ${c.n}x${c.h}x${c.w}x${c.ci} -> ${c.co} (${variant})`;
    test(`Conv2DBackpropFilter and Conv2DBackpropInput match cpu: ${label}`, async () => {
      setTapGemmMaxPixels(maxPixels);
      await tf.setBackend('cpu');
      const xShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
      const wShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
      const yShape = tf.tidy(() => tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(wShape) as tf.Tensor4D, c.s, c.pad).shape);
      const x = randomArray(
        xShape.reduce((a, b) => a * b),
        11 + c.h,
      );
      const w = randomArray(
        wShape.reduce((a, b) => a * b),
        23 + c.k,
      );
      const dy = randomArray(
        yShape.reduce((a, b) => a * b),
        37 + c.s,
      );
      const common = { strides: c.s, pad: c.pad, dataFormat: 'NHWC' };
      const filterInputs = { x: [x, xShape], dy: [dy, yShape] } as Record<string, [Float32Array, number[]]>;
      const inputInputs = { dy: [dy, yShape], filter: [w, wShape] } as Record<string, [Float32Array, number[]]>;

      const dwCpu = await runOn('cpu', 'Conv2DBackpropFilter', filterInputs, { ...common, filterShape: wShape });
      const dxCpu = await runOn('cpu', 'Conv2DBackpropInput', inputInputs, { ...common, inputShape: xShape });
      const tensorsBefore = tf.memory().numTensors;
      await tf.setBackend('wasm');
      const dataBefore = tf.backend().numDataIds();
      const dwWasm = await runOn('wasm', 'Conv2DBackpropFilter', filterInputs, { ...common, filterShape: wShape });
      const dxWasm = await runOn('wasm', 'Conv2DBackpropInput', inputInputs, { ...common, inputShape: xShape });
      assert.equal(tf.backend().numDataIds(), dataBefore, 'kernel intermediates freed in the wasm heap');
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leak');

      assertClose(dwWasm, dwCpu, `filter gradient ${label}`);
      assertClose(dxWasm, dxCpu, `input gradient ${label}`);
      setTapGemmMaxPixels(512);
    });
  }

test('registerWasmTrainingKernels makes tf.grads of conv2d work on wasm (hand-computed values)', async () => {
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const inputs = [tf.ones([1, 4, 4, 1]), tf.ones([3, 3, 1, 1])];
  const [gx, gw] = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
    tf
      .conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')
      .square()
      .sum(),
  )(inputs);
  // 4x4 ones, 3x3 ones kernel, stride 2, 'same' (pad bottom/right 1): y = [[9, 6], [6, 4]].
  // dL/dW[i][j] = sum over outputs of 2*y*x[tap]: taps with row/col 2 reach every output.
  assert.deepEqual(Array.from(await gw.data()), [50, 50, 30, 50, 50, 30, 30, 30, 18]);
  assert.deepEqual(Array.from(await gx.data()), [18, 18, 30, 12, 18, 18, 30, 12, 30, 30, 50, 20, 12, 12, 20, 8]);
  tf.dispose([gx, gw, ...inputs]);
  assert.equal(tf.memory().numTensors, before);
});

test('1x1 gradients with explicit bottom/right padding match cpu (output pixels outside the image)', async () => {
  for (const [ci, co] of [
    [3, 24],
    [3, 4],
  ]) {
    const xShape = [2, 4, 4, ci];
    const wShape = [1, 1, ci, co];
    const pad = [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ];
    const dyShape = [2, 5, 5, co];
    const x = randomArray(
      xShape.reduce((a, b) => a * b),
      3,
    );
    const w = randomArray(ci * co, 5);
    const dy = randomArray(
      dyShape.reduce((a, b) => a * b),
      7,
    );
    const common = { strides: 1, pad, dataFormat: 'NHWC' };
    const filterInputs = { x: [x, xShape], dy: [dy, dyShape] } as Record<string, [Float32Array, number[]]>;
    const inputInputs = { dy: [dy, dyShape], filter: [w, wShape] } as Record<string, [Float32Array, number[]]>;
    for (const [name, inputs, extra] of [
      ['Conv2DBackpropFilter', filterInputs, { filterShape: wShape }],
      ['Conv2DBackpropInput', inputInputs, { inputShape: xShape }],
    ] as const) {
      const cpu = await runOn('cpu', name, inputs, { ...common, ...extra });
      assertClose(await runOn('wasm', name, inputs, { ...common, ...extra }), cpu, `${name} ${ci} -> ${co}`);
    }
  }
});
