/**
 * ParallelTrainer (main thread + one worker, half a batch each) computes exactly its documented
 * result: per step, the gradients of each part from the same starting weights, summed weighted
 * by each part's share of the batch, one optimizer update, and BN moving statistics set to the
 * share-weighted mean of the parts' updated ones. The reference does that in one thread with the
 * same code (partGradients); after 3 steps (one with an odd batch) weights and moving statistics
 * must agree within 1e-5 relative (the same float32 kernels on both threads: in practice
 * bit-identical), the losses too, and no tensors leak. A full-batch step (BN statistics over the
 * whole batch) is different, and the test checks that it is, so the comparison can fail.
 * The trainer uses the fused momentum (tfjs's own MomentumOptimizer leaks a scalar on dispose).
 * Momentum SGD, not Adam: the bias of a conv followed by BN has a gradient of pure rounding
 * noise (~1e-9), which Adam's g / sqrt(v) scales up to full-size steps of random sign.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../src/wasm';
import { ParallelTrainer } from '../src/wasm/parallel-trainer';
import { partGradients } from '../src/wasm/parallel-step';

function smallModel(): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const inp = tf.input({ shape: [9, 9, 1] });
  let h = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init(1),
    kernelRegularizer: tf.regularizers.l2({ l2: 1e-3 }) }).apply(inp) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ axis: 3 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 8, kernelSize: 1, kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: init(3) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: h });
}

function batch(n: number, seed: number): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const xs = tf.randomUniform([n, 9, 9, 1], -0.5, 0.5, 'float32', seed) as tf.Tensor4D;
  const ys = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 5 + seed) % 7), 'int32'), 7).toFloat() as tf.Tensor2D;
  return { xs, ys };
}

/** One documented step on a single thread: main part = first ceil(n/2) samples. */
function referenceStep(model: tf.LayersModel, optimizer: tf.Optimizer, xs: tf.Tensor4D, ys: tf.Tensor2D): number {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const stats = model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
  const n = xs.shape[0];
  const nB = Math.floor(n / 2);
  const nA = n - nB;
  const start = stats.map((s) => s.clone());
  const parts = [[0, nA], [nA, nB]].map(([from, count]) => {
    stats.forEach((s, i) => s.assign(start[i]));
    const r = tf.tidy(() => {
      const p = partGradients(model, vars, xs.slice(from, count), ys.slice(from, count), null);
      return { ...p, grads: tf.keep(p.grads) };
    }) as unknown as { loss: number; grads: tf.Tensor[] };
    return { ...r, count, after: stats.map((s) => s.clone()) };
  });
  tf.tidy(() => {
    stats.forEach((s, i) => s.assign(tf.div(tf.add(tf.mul(parts[0].after[i], nA), tf.mul(parts[1].after[i], nB)), n)));
    optimizer.applyGradients(vars.map((v, i) => ({
      name: v.name, tensor: tf.add(tf.mul(parts[0].grads[i], nA / n), tf.mul(parts[1].grads[i], nB / n)),
    })));
  });
  const loss = (parts[0].loss * nA + parts[1].loss * nB) / n;
  tf.dispose([...start, ...parts.flatMap((p) => [...p.grads, ...p.after])]);
  return loss;
}

/** Max abs difference over max(max |b|, 0.01): the bias of a conv before BN stays ~1e-9 and is compared absolutely. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0.01;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

test('ParallelTrainer = per-part gradients summed, one update, averaged BN statistics', async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  const sizes = [6, 5, 6];
  const batches = sizes.map((n, i) => batch(n, i + 1));

  const ref = smallModel();
  const refOpt = tf.train.momentum(0.1, 0.9);
  const refLosses = batches.map(({ xs, ys }) => referenceStep(ref, refOpt, xs, ys));

  const model = smallModel();
  const before = tf.memory().numTensors;
  const trainer = await ParallelTrainer.create(model, { optimizer: { name: 'momentum', learningRate: 0.1, fused: true } });
  const losses = batches.map(({ xs, ys }) => trainer.step(xs, ys).loss);
  await trainer.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked (optimizer slots freed by dispose)');

  losses.forEach((l, i) => assert.ok(Math.abs(l - refLosses[i]) <= 1e-5 * Math.abs(refLosses[i]), `loss ${i}: ${l} vs ${refLosses[i]}`));
  model.weights.forEach((w, i) => {
    const e = relErr(w.read().dataSync(), ref.weights[i].read().dataSync());
    assert.ok(e <= 1e-5, `${w.name}: relative error ${e}`);
  });

  // The full-batch step is a different computation (BN statistics over all samples).
  const full = smallModel();
  const fullOpt = tf.train.momentum(0.1, 0.9);
  const { xs, ys } = batches[0];
  tf.tidy(() => {
    const vars = full.trainableWeights.map((w) => w.read() as tf.Variable);
    const p = partGradients(full, vars, xs, ys, null);
    fullOpt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: p.grads[i] })));
  });
  const refOne = smallModel();
  const refOneOpt = tf.train.momentum(0.1, 0.9);
  referenceStep(refOne, refOneOpt, xs, ys);
  const diff = Math.max(...full.weights.map((w, i) => relErr(w.read().dataSync(), refOne.weights[i].read().dataSync())));
  assert.ok(diff > 1e-4, `full-batch and two-part steps should differ (got ${diff})`);
  tf.dispose(batches.flatMap((b) => [b.xs, b.ys]));
  [ref, model, full, refOne].forEach((m) => m.dispose());
  [refOpt, fullOpt, refOneOpt].forEach((o) => o.dispose());
});
