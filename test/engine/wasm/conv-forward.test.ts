/**
 * The wasm forward convolution kernels (src/engine/wasm/conv-forward.ts: 1x1 convolutions and KxK
 * convolutions on small maps as GEMMs) against the cpu backend's FusedConv2D and Conv2D, with
 * bias and ReLU fused and without, over strides 1, 2 and (2, 1), same and valid padding, odd sizes.
 * Tolerance as in wasm-kernels.test.ts: 1e-3 * (1 + max |cpu|).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../../src/engine/wasm';
import { setTapGemmMaxPixels } from '../../../src/engine/wasm/conv-grads';
import { assertClose, randomArray, runOn } from '../../helpers/kernel-compare';

before(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

const sizes: Array<[number, number]> = [
  [2, 3],
  [5, 5],
  [7, 4],
];
for (const k of [1, 3]) {
  for (const s of [1, 2, [2, 1]] as Array<number | [number, number]>) {
    for (const pad of ['same', 'valid'] as const) {
      for (const [h, w] of sizes) {
        if (pad === 'valid' && (h < k || w < k)) continue;
        // KxK: the im2col GEMM (maxPixels Infinity) and tfjs's own convolution (0); 1x1 is always a GEMM.
        for (const maxPixels of k === 1 ? [Infinity] : [Infinity, 0]) {
          const label = `${k}x${k} stride ${s} ${pad} on 2x${h}x${w}x6 -> 10${k > 1 ? (maxPixels ? ' (im2col GEMM)' : ' (tfjs conv)') : ''}`;
          test(`FusedConv2D (bias, relu) and Conv2D match cpu: ${label}`, async () => {
            setTapGemmMaxPixels(maxPixels);
            const xShape = [2, h, w, 6];
            const wShape = [k, k, 6, 10];
            const x = randomArray(2 * h * w * 6, 7 + h * w + k);
            const filter = randomArray(k * k * 60, 19 + k);
            const bias = randomArray(10, 31);
            const attrs = { strides: s, pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
            const fused = { x: [x, xShape], filter: [filter, wShape], bias: [bias, [10]] } as Record<string, [Float32Array, number[]]>;
            const plain = { x: [x, xShape], filter: [filter, wShape] } as Record<string, [Float32Array, number[]]>;
            const fusedAttrs = { ...attrs, activation: 'relu', leakyreluAlpha: 0 };

            const fusedCpu = await runOn('cpu', 'FusedConv2D', fused, fusedAttrs);
            const plainCpu = await runOn('cpu', 'Conv2D', plain, attrs);
            await tf.setBackend('wasm');
            const dataBefore = tf.backend().numDataIds();
            const fusedWasm = await runOn('wasm', 'FusedConv2D', fused, fusedAttrs);
            const plainWasm = await runOn('wasm', 'Conv2D', plain, attrs);
            assert.equal(tf.backend().numDataIds(), dataBefore, 'kernel intermediates freed in the wasm heap');
            setTapGemmMaxPixels(512);

            assert.ok(fusedCpu.some((v) => v === 0) && fusedCpu.some((v) => v > 0), 'the case exercises the ReLU');
            assertClose(fusedWasm, fusedCpu, `FusedConv2D ${label}`);
            assertClose(plainWasm, plainCpu, `Conv2D ${label}`);
          });
        }
      }
    }
  }
}

test('a 1x1 convolution as a GEMM gives hand-computed values, stride 2 picking pixels (0,0), (0,2), (2,0), (2,2)', async () => {
  await tf.setBackend('wasm');
  // x[0, i, j, c] = 10 * (3i + j) + c on a 3x3x2 map; W = [[1, 0, 1], [0, 1, 1]], bias [0.5, 0, -1].
  const x = tf.tensor4d(
    Array.from({ length: 18 }, (_, v) => 10 * Math.floor(v / 2) + (v % 2)),
    [1, 3, 3, 2],
  );
  const w = tf.tensor4d([1, 0, 1, 0, 1, 1], [1, 1, 2, 3]);
  const y = tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'valid', bias: tf.tensor1d([0.5, 0, -1]) });
  // pixels 0, 2, 6, 8 hold (0, 1), (20, 21), (60, 61), (80, 81): out = (a + 0.5, b, a + b - 1).
  assert.deepEqual(Array.from(await y.data()), [0.5, 1, 0, 20.5, 21, 40, 60.5, 61, 120, 80.5, 81, 160]);
  assert.deepEqual(y.shape, [1, 2, 2, 3]);
  tf.dispose([x, w, y]);
});

// A 1x1 kernel whose last output pixel reads past the image (bottom/right explicit padding, or
// 'ceil' rounding): zeros there, as on cpu, not the next row's pixels.
const outside: Array<
  [string, number, number | [[number, number], [number, number], [number, number], [number, number]], number[], 'ceil' | undefined]
> = [
  [
    'explicit bottom/right padding',
    1,
    [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ],
    [2, 2, 2, 3],
    undefined,
  ],
  ["stride 3, pad 0, 'ceil' rounding", 3, 0, [1, 5, 5, 3], 'ceil'],
];
for (const [what, strides, pad, xShape, dimRoundingMode] of outside) {
  test(`a 1x1 conv reading past the image matches cpu: ${what}`, async () => {
    const x = randomArray(
      xShape.reduce((a, b) => a * b),
      3,
    );
    const inputs = { x: [x, xShape], filter: [randomArray(12, 5), [1, 1, 3, 4]] } as Record<string, [Float32Array, number[]]>;
    const attrs = { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode };
    const cpu = await runOn('cpu', 'Conv2D', inputs, attrs);
    assertClose(await runOn('wasm', 'Conv2D', inputs, attrs), cpu, what);
    assert.ok(
      cpu.some((v) => v === 0),
      'the case has output pixels outside the image',
    );
  });
}

test('a bias that is not [CO] is left to tfjs-backend-wasm, which rejects it, instead of reading past it', async () => {
  await tf.setBackend('wasm');
  const x = tf.ones([1, 1, 1, 2]) as tf.Tensor4D;
  const filter = tf.zeros([1, 1, 2, 3]) as tf.Tensor4D;
  assert.throws(() => tf.fused.conv2d({ x, filter, strides: 1, pad: 'valid', bias: tf.tensor1d([5]) }), /bias/);
  tf.dispose([x, filter]);
});
