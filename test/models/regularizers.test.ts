/**
 * src/regularizers.ts: Keras's L1L2 with a closed-form gradient, against hand-computed values
 * and tfjs-layers' own L1L2 (value and autodiff gradient), and its serialization.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { L1L2, l2 } from '../../src/models/regularizers';
import { registerWasmTrainingKernels } from '../../src/engine/wasm';
import { SUM_OF_SQUARES } from '../../src/engine/wasm/reduce';

before(async () => {
  await tf.setBackend('cpu'); // importing the wasm backend made it the default
});

const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

test('L1L2 penalty and gradient match hand-computed values', () => {
  const reg = new L1L2({ l1: 0.5, l2: 0.1 });
  const w = tf.tensor2d([
    [1, -2],
    [3, 0],
  ]);
  // 0.5 * (1 + 2 + 3 + 0) + 0.1 * (1 + 4 + 9 + 0) = 3 + 1.4
  close(reg.apply(w).dataSync(), [4.4], 'penalty');
  // d/dw = 0.5 * sign(w) + 0.2 * w, scaled by dy = 3
  const g = tf.grad((x: tf.Tensor) => tf.mul(reg.apply(x), 3))(w);
  close(g.dataSync(), [3 * (0.5 + 0.2), 3 * (-0.5 - 0.4), 3 * (0.5 + 0.6), 0], 'gradient');
  tf.dispose([w, g]);
});

test('L1 alone and a zero factor: gradient l1 * sign(w), and zeros', () => {
  const w = tf.tensor1d([2, -3, 0]);
  const g = tf.grad((x: tf.Tensor) => new L1L2({ l1: 0.5, l2: 0 }).apply(x))(w);
  close(g.dataSync(), [0.5, -0.5, 0], 'l1 gradient');
  const z = tf.grad((x: tf.Tensor) => new L1L2({ l1: 0, l2: 0 }).apply(x))(w);
  close(z.dataSync(), [0, 0, 0], 'no penalty');
  tf.dispose([w, g, z]);
});

test("l2() matches tfjs-layers' l2 regulariser in value and gradient on a conv kernel", () => {
  const ours = l2({ l2: 1e-4 });
  const theirs = tf.regularizers.l2({ l2: 1e-4 });
  const w = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 3);
  close(ours.apply(w).dataSync(), theirs.apply(w).dataSync(), 'penalty');
  const gOurs = tf.grad((x: tf.Tensor) => ours.apply(x))(w);
  const gTheirs = tf.grad((x: tf.Tensor) => theirs.apply(x) as tf.Scalar)(w);
  close(gOurs.dataSync(), gTheirs.dataSync(), 'gradient');
  tf.dispose([w, gOurs, gTheirs]);
});

test("a layer regularised with l2() serialises as Keras's L1L2 and deserialises to the fast class", () => {
  const layer = tf.layers.dense({ units: 2, inputShape: [3], kernelRegularizer: l2({ l2: 0.25 }) });
  const model = tf.sequential({ layers: [layer] });
  const json = JSON.parse(JSON.stringify(model.toJSON(null, false))) as { config: { layers: Array<{ config: Record<string, unknown> }> } };
  assert.deepEqual(json.config.layers[0].config.kernel_regularizer, { class_name: 'L1L2', config: { l1: 0, l2: 0.25 } });
  const again = tf.layers.dense({
    units: 2,
    inputShape: [3],
    kernelRegularizer: { className: 'L1L2', config: { l1: 0, l2: 0.25 } } as never,
  });
  assert.ok((again as unknown as { kernelRegularizer: unknown }).kernelRegularizer instanceof L1L2);
  model.dispose();
});

test('a missing factor defaults to 0.01 as in tfjs-layers', () => {
  const reg = l2();
  close(reg.apply(tf.tensor1d([2])).dataSync(), [0.04], 'default l2');
  assert.deepEqual(reg.getConfig(), { l1: 0, l2: 0.01 });
});

test('on wasm the L2 penalty takes the one-pass sum of squares and gives the cpu value', async () => {
  registerWasmTrainingKernels();
  const values = Array.from({ length: 1003 }, (_, i) => Math.sin(i) * 3); // odd length: the tail loop
  await tf.setBackend('cpu');
  const expected = l2({ l2: 0.5 }).apply(tf.tensor1d(values)).dataSync()[0];
  await tf.setBackend('wasm');
  const seen: string[] = [];
  const info = await tf.profile(() => l2({ l2: 0.5 }).apply(tf.tensor1d(values)));
  for (const k of info.kernels) seen.push(k.name);
  assert.ok(seen.includes(SUM_OF_SQUARES), `kernels run: ${seen.join(', ')}`);
  const wasm = l2({ l2: 0.5 }).apply(tf.tensor1d(values)).dataSync()[0];
  close([wasm], [expected], 'penalty on wasm');
  await tf.setBackend('cpu');
});
