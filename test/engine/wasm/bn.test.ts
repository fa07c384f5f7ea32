/**
 * FastBatchNormalization (src/models/batch-normalization.ts) on wasm gives what tfjs-layers' own
 * BatchNormalization gives on the cpu backend: training-mode output, moving mean and variance
 * after one step, gradients w.r.t. the input, gamma and beta; and inference output.
 *
 * Tolerance: max |a - b| <= 1e-4 * (1 + max |b|) per tensor. Both sides are float32 with
 * different summation orders; a wrong formula (e.g. unbiased variance, a missing mean term in
 * dx) gives errors of order 1e-2 or more on these inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../../src/engine/wasm';
import { BN_TRAIN } from '../../../src/engine/wasm/batchnorm-train';
import { FastBatchNormalization } from '../../../src/models/batch-normalization';

interface Result {
  y: Float32Array;
  yInfer: Float32Array;
  mm: Float32Array;
  mv: Float32Array;
  dx: Float32Array;
  dg: Float32Array;
  db: Float32Array;
}

function rand(n: number, seed: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 2 ** 32);
  }
  return out;
}

/** One training-mode step of `layer` on x, loss = sum(y * w); then an inference pass. */
function run(layer: tf.layers.Layer, shape: number[], seed: number, axis = -1): Result {
  const c = shape[axis < 0 ? shape.length + axis : axis];
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    // Offset inputs (mean ~3) so the variance computation has to cope with a non-zero mean.
    const x = tf.variable(tf.tensor(rand(size, seed, 2, 4), shape), true, `x${seed}${tf.getBackend()}`);
    const w = tf.tensor(rand(size, seed + 1, -1, 1), shape);
    layer.apply(x, { training: false }); // builds the layer
    layer.setWeights([
      tf.tensor1d(rand(c, seed + 2, 0.5, 1.5)),
      tf.tensor1d(rand(c, seed + 3, -0.5, 0.5)),
      tf.tensor1d(rand(c, seed + 4, -0.2, 0.2)),
      tf.tensor1d(rand(c, seed + 5, 0.5, 2)),
    ]);
    const [gamma, beta] = layer.trainableWeights.map((v) => (v as unknown as { read(): tf.Variable }).read());
    let y: tf.Tensor | undefined;
    const { grads } = tf.variableGrads(() => {
      y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
      return tf.sum(tf.mul(y, w)) as tf.Scalar;
    }, [x, gamma, beta]);
    const [mm, mv] = layer
      .getWeights()
      .slice(2)
      .map((t) => t.dataSync() as Float32Array);
    const r: Result = {
      y: y!.dataSync() as Float32Array,
      yInfer: (layer.apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array,
      mm,
      mv,
      dx: grads[x.name].dataSync() as Float32Array,
      dg: grads[gamma.name].dataSync() as Float32Array,
      db: grads[beta.name].dataSync() as Float32Array,
    };
    x.dispose();
    y!.dispose();
    return r;
  });
}

function assertClose(name: string, a: Float32Array, b: Float32Array): void {
  assert.equal(a.length, b.length, name);
  let err = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  assert.ok(err <= 1e-4 * (1 + mag), `${name}: max error ${err} (max |ref| ${mag})`);
}

for (const [shape, seed] of [
  [[4, 6, 6, 8], 11],
  [[3, 5, 7, 16], 23],
  [[5, 12], 37],
  [[3, 4, 5, 7], 41],
  [[2, 50, 50, 7], 43],
] as const) {
  test(`FastBatchNormalization on wasm matches tfjs BatchNormalization on cpu, ${JSON.stringify(shape)}`, async () => {
    const args = { axis: -1, momentum: 0.9, epsilon: 1e-3 };
    await tf.setBackend('cpu');
    const ref = run(tf.layers.batchNormalization(args), [...shape], seed);

    registerWasmTrainingKernels('wasm');
    await tf.setBackend('wasm');
    const layer = new FastBatchNormalization(args);
    assert.equal(layer.getClassName(), 'BatchNormalization');
    const profile = await tf.profile(() => {
      run(layer, [...shape], seed);
    });
    // The fast kernel really ran (once forward), so this test is not comparing tfjs with itself.
    assert.equal(profile.kernelNames.filter((k) => k === BN_TRAIN).length, 1);
    const before = tf.memory().numTensors;
    const got = run(layer, [...shape], seed); // second step from a fresh setWeights: same numbers
    assert.equal(tf.memory().numTensors - before, 0, 'no tensors leaked beyond the layer weights');
    for (const key of Object.keys(ref) as (keyof Result)[]) assertClose(key, got[key], ref[key]);
  });
}

test('FastBatchNormalization falls back to tfjs on cpu, and on wasm for a non-last axis (same numbers)', async () => {
  const shape = [2, 3, 4, 5];
  for (const [backend, axis] of [
    ['cpu', -1],
    ['wasm', 1],
  ] as const) {
    await tf.setBackend('cpu');
    const ref = run(tf.layers.batchNormalization({ axis }), shape, 5, axis);
    registerWasmTrainingKernels('wasm');
    await tf.setBackend(backend);
    const got = run(new FastBatchNormalization({ axis }), shape, 5, axis);
    for (const key of Object.keys(ref) as (keyof Result)[]) assertClose(`${key} ${backend} axis ${axis}`, got[key], ref[key]);
  }
});

test('a BatchNormalization layer deserialised from a model config is a FastBatchNormalization', async () => {
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [3], name: 'bn' })] });
  const loaded = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) } as never);
  assert.equal(loaded.getLayer('bn').getClassName(), 'BatchNormalization');
  assert.ok(loaded.getLayer('bn') instanceof FastBatchNormalization);
  assert.ok(!(model.getLayer('bn') instanceof FastBatchNormalization), "tf.layers.batchNormalization still builds tfjs's own class");
  model.dispose();
  loaded.dispose();
});
