/**
 * The wasm Sum/Mean kernels that reduce leading axes without a transpose give the cpu
 * backend's values (tolerance 1e-5 relative: float64 accumulation against float32), with and
 * without keepDims, and other reductions (inner axes, int32) still go to tfjs-backend-wasm's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../../src/engine/wasm';

const CASES: Array<[string, (x: tf.Tensor) => tf.Tensor]> = [
  ['sum [0,1,2]', (x) => tf.sum(x, [0, 1, 2])],
  ['sum [2,0,1] keepDims', (x) => tf.sum(x, [2, 0, 1], true)],
  ['mean [0,1,2]', (x) => tf.mean(x, [0, 1, 2])],
  ['mean [0] keepDims', (x) => tf.mean(x, 0, true)],
  ['sum [0,1]', (x) => tf.sum(x, [0, 1])],
  ['sum [1,2] (inner, fallback)', (x) => tf.sum(x, [1, 2])],
  ['mean all (fallback)', (x) => tf.mean(x)],
  ['sum int32 [0,1,2] (fallback)', (x) => tf.sum(tf.cast(tf.mul(x, 10), 'int32'), [0, 1, 2])],
];

// The second shape has more rows than one tile of src/engine/wasm/channel-loops.ts (16384 values).
for (const shape of [
  [3, 5, 7, 6],
  [8, 40, 40, 5],
])
  test(`leading-axes Sum/Mean on wasm = cpu, ${shape.join('x')}`, async () => {
    const x = () => tf.randomNormal(shape, 1, 2, 'float32', 11);
    const expected = new Map<string, { shape: number[]; values: Float32Array | Int32Array }>();
    await tf.setBackend('cpu');
    for (const [name, f] of CASES) {
      const y = tf.tidy(() => f(x()));
      expected.set(name, { shape: y.shape, values: y.dataSync() as Float32Array });
      y.dispose();
    }
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    for (const [name, f] of CASES) {
      const y = tf.tidy(() => f(x()));
      const e = expected.get(name)!;
      assert.deepEqual(y.shape, e.shape, `${name}: shape`);
      const a = y.dataSync();
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i] - e.values[i]) <= 1e-5 * (1 + Math.abs(e.values[i])), `${name}[${i}]: ${a[i]} vs ${e.values[i]}`);
      }
      y.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  });

test('Sum and Mean over leading axes with no rows give zeros, as on cpu', async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  const x = tf.zeros([0, 3]);
  assert.deepEqual(Array.from(tf.sum(x, 0).dataSync()), [0, 0, 0]);
  assert.deepEqual(Array.from(tf.mean(x, 0).dataSync()), [0, 0, 0]);
  x.dispose();
});
