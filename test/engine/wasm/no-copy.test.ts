/**
 * src/engine/wasm/no-copy.ts: Identity and same-dtype Cast share the input's wasm buffer (reference
 * counted, as tfjs-backend-cpu does); real conversions still convert.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../../src/engine/wasm';

before(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

test('clone and float32 -> float32 cast allocate no buffer, and outlive their input', () => {
  const x = tf.tensor1d([1.5, -2, 3]);
  const buffers = tf.backend().numDataIds();
  const y = x.clone();
  const z = tf.cast(x, 'float32');
  assert.equal(tf.backend().numDataIds(), buffers, 'no new buffer');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1.5, -2, 3]);
  y.dispose();
  assert.deepEqual(Array.from(z.dataSync()), [1.5, -2, 3]);
  z.dispose();
  assert.equal(tf.backend().numDataIds(), buffers - 1, 'the buffer is freed with its last reference');
});

test('casts between dtypes still convert', () => {
  const x = tf.tensor1d([1.7, -1.7, 0]);
  const i = tf.cast(x, 'int32');
  assert.equal(i.dtype, 'int32');
  assert.deepEqual(Array.from(i.dataSync()), [1, -1, 0]);
  const back = tf.cast(i, 'float32');
  assert.deepEqual(Array.from(back.dataSync()), [1, -1, 0]);
  tf.dispose([x, i, back]);
});

test('gradients through saved (cloned) tensors are unchanged: d/dx sum(x * x) = 2x', () => {
  const x = tf.tensor1d([1, -2, 0.5]);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, v)))(x);
  assert.deepEqual(Array.from(g.dataSync()), [2, -4, 1]);
  tf.dispose([x, g]);
});
