/**
 * src/engine/wasm/pool-grad.ts: MaxPoolGrad on wasm against the cpu backend's kernel, over the pool
 * shapes ResNet-50 uses and odd ones, including inputs with ties (ReLU zeros), and by hand.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../../src/engine/wasm';
import { assertClose, randomArray } from '../../helpers/kernel-compare';

before(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

/** dx of sum(maxPool(x) * dyWeights) on `backend`, through tfjs's gradient (MaxPoolGrad). */
async function poolGrad(
  backend: string,
  x: Float32Array,
  shape: number[],
  size: number,
  stride: number,
  pad: 'same' | 'valid',
  dyWeights: (n: number) => Float32Array,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, shape as [number, number, number, number]);
    const f = (v: tf.Tensor4D) => {
      const y = tf.maxPool(v, size, stride, pad);
      return tf.sum(tf.mul(y, tf.tensor(dyWeights(y.size), y.shape)));
    };
    return tf.grad(f)(xt).dataSync() as Float32Array;
  });
}

const cases: Array<[number[], number, number, 'same' | 'valid']> = [
  [[2, 24, 24, 8], 3, 2, 'same'], // the any-size stem pool (channels cut down)
  [[2, 13, 9, 5], 3, 2, 'same'],
  [[1, 10, 10, 3], 3, 2, 'valid'],
  [[2, 7, 8, 4], 2, 2, 'valid'],
  [[1, 6, 5, 3], 3, 1, 'same'],
];
for (const [shape, size, stride, pad] of cases) {
  for (const ties of [false, true]) {
    test(`MaxPoolGrad matches cpu: ${size}x${size}/${stride} ${pad} on ${shape.join('x')}${ties ? ', ReLU ties' : ''}`, async () => {
      const n = shape.reduce((p, d) => p * d, 1);
      // With ties, ~half the inputs are exactly 0 (as after a ReLU), many windows are all zero.
      const x = randomArray(n, 5 + n).map((v) => (ties ? Math.max(v, 0) : v));
      const dyW = (m: number) => randomArray(m, 17).map((v) => v + 1);
      const ref = await poolGrad('cpu', x, shape, size, stride, pad, dyW);
      const got = await poolGrad('wasm', x, shape, size, stride, pad, dyW);
      assertClose(got, ref, 'dx', 1e-6);
    });
  }
}

test('MaxPoolGrad by hand: 2x2/2 on a 4x4 map sends each dy to its window maximum', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor4d([1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 6, 7, 9, 2, 7, 6], [1, 4, 4, 1]);
  const dx = tf.grad((v: tf.Tensor4D) => tf.sum(tf.mul(tf.maxPool(v, 2, 2, 'valid'), tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]))))(x);
  // maxima: 5 at (0,1), 8 at (1,2), 9 at (3,0), 7 at (2,3) (first of the two 7s in row-major order)
  assert.deepEqual(Array.from(dx.dataSync()), [0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 0, 40, 30, 0, 0, 0]);
  tf.dispose([x, dx]);
});
