/**
 * The fused (one heap loop per variable) Adam and momentum optimizers update weights and slots
 * as tfjs's own AdamOptimizer / MomentumOptimizer do: same weights after 3 steps within 1e-6
 * relative (float32 rounding differs: the loop rounds once where tfjs rounds per kernel), the same
 * slot variables (so resume state is interchangeable), no leaked tensors, and a buffer still
 * shared with a caller's tensor (just after assign/setWeights) is copied, not overwritten.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FusedAdamOptimizer, FusedMomentumOptimizer } from '../src/wasm/fused-optimizers';

const SHAPES = [[3, 3, 4, 5], [5], [17, 7]];

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Runs 3 steps of `make()` on fresh variables with seeded gradients; returns weights and slots. */
async function run(make: () => tf.Optimizer, tag: string): Promise<{ weights: Float32Array[]; slots: Float32Array[]; slotNames: string[] }> {
  const vars = SHAPES.map((s, i) => tf.tidy(() => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 10 + i), true, `${tag}_w${i}`)));
  const opt = make();
  for (let step = 0; step < 3; step++) {
    const grads = SHAPES.map((s, i) => ({ name: vars[i].name, tensor: tf.randomNormal(s, 0, step + 1, 'float32', 1000 + 100 * step + i) }));
    opt.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  const [iterations, ...slots] = await opt.getWeights();
  iterations.tensor.dispose();
  const result = {
    weights: vars.map((v) => v.dataSync() as Float32Array),
    slots: slots.map((w) => w.tensor.dataSync() as Float32Array),
    slotNames: slots.map((w) => w.name.replace(tag, '')),
  };
  opt.dispose();
  tf.dispose(vars);
  return result;
}

for (const [label, reference, fused] of [
  ['adam', () => tf.train.adam(1e-2, 0.9, 0.999, 1e-7), () => new FusedAdamOptimizer(1e-2, 0.9, 0.999, 1e-7)],
  ['momentum', () => tf.train.momentum(1e-2, 0.9), () => new FusedMomentumOptimizer(1e-2, 0.9)],
] as Array<[string, () => tf.Optimizer, () => tf.Optimizer]>) {
  test(`fused ${label} = tfjs ${label} after 3 steps on wasm`, async () => {
    await tf.setBackend('wasm');
    const expected = await run(reference, 'ref');
    // (tfjs's own MomentumOptimizer leaks a scalar on dispose, so only the fused run is counted.)
    const before = tf.memory().numTensors;
    const actual = await run(fused, 'fused');
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
    assert.deepEqual(actual.slotNames, expected.slotNames, 'same slot variables');
    expected.weights.forEach((w, i) => {
      const e = relErr(actual.weights[i], w);
      assert.ok(e <= 1e-6, `weight ${i}: relative error ${e}`);
    });
    expected.slots.forEach((s, i) => {
      const e = relErr(actual.slots[i], s);
      assert.ok(e <= 1e-6, `slot ${i}: relative error ${e}`);
    });
    // The test can fail: the updates are far larger than the tolerance.
    const start = tf.randomNormal(SHAPES[0], 0, 1, 'float32', 10);
    assert.ok(relErr(start.dataSync(), expected.weights[0]) > 1e-3);
    start.dispose();
  });
}

test('fused adam does not write through a buffer the caller still holds', async () => {
  await tf.setBackend('wasm');
  const v = tf.variable(tf.zeros([4]), true, 'shared_w');
  const held = tf.tensor1d([1, 2, 3, 4]);
  v.assign(held); // v and held now share one buffer
  const opt = new FusedAdamOptimizer(0.1, 0.9, 0.999, 1e-7);
  const g = tf.ones([4]);
  opt.applyGradients({ shared_w: g });
  assert.deepEqual(Array.from(held.dataSync()), [1, 2, 3, 4], 'caller tensor unchanged');
  const w = v.dataSync();
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(w[i] - (i + 1 - 0.1)) < 1e-5, `w[${i}] = ${w[i]}`);
  tf.dispose([v, held, g]);
  opt.dispose();
});

test('after a fused step, a convolution with the updated filter sees the new values (no stale XNNPACK cache)', async () => {
  await tf.setBackend('wasm');
  const x = tf.randomNormal([1, 5, 5, 2], 0, 1, 'float32', 3);
  const filter = tf.tidy(() => tf.variable(tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 4), true, 'conv_filter'));
  tf.conv2d(x, filter, 1, 'same').dispose(); // creates and caches the operator for this filter
  const opt = new FusedAdamOptimizer(0.5, 0.9, 0.999, 1e-7);
  const g = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 5);
  opt.applyGradients({ conv_filter: g });
  const fresh = tf.tensor4d(filter.dataSync(), [3, 3, 2, 4]);
  const actual = tf.conv2d(x, filter, 1, 'same');
  const expected = tf.conv2d(x, fresh, 1, 'same');
  assert.ok(relErr(actual.dataSync(), expected.dataSync()) < 1e-6, 'conv uses the updated filter');
  tf.dispose([x, filter, g, fresh, actual, expected]);
  opt.dispose();
});
