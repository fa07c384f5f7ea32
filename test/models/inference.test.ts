/**
 * compileForInference (BatchNormalization folded into the convolution before it, convs run as
 * fused conv + bias + relu) gives model.predict's outputs: on a small model with every layer
 * kind it knows (linear output, so differences are not hidden by a softmax), on cpu and wasm,
 * and on both ResNet-50s on wasm. BN layers get random non-trivial statistics first, since a
 * fresh BN (mean 0, variance 1, gamma 1, beta 0) is almost the identity and would hide a wrong
 * fold. Tolerance: max abs difference <= 1e-4 * (1 + max |output|) (float32, other sum order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { compileForInference, fastPredictor } from '../../src/models/inference';
import { registerWasmTrainingKernels } from '../../src/engine/wasm';
import { resnet50AnySize } from '../../src/resnet50-anysize';
import { resnet50 } from '../../src/resnet50';

/** Deterministic non-trivial BN statistics: gamma, variance in 0.7..1.3, beta, mean in -0.2..0.2. */
function randomiseBatchNorms(model: tf.LayersModel): void {
  let seed = 1;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const ws = layer.getWeights();
    // Order: gamma, beta, moving mean, moving variance (all present with Keras defaults).
    const ranges: Array<[number, number]> = [
      [0.7, 1.3],
      [-0.2, 0.2],
      [-0.2, 0.2],
      [0.7, 1.3],
    ];
    const fresh = ws.map((w, i) => tf.randomUniform(w.shape, ranges[i][0], ranges[i][1], 'float32', seed++));
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

function assertClose(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  const a = actual.dataSync();
  const e = expected.dataSync();
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    err = Math.max(err, Math.abs(a[i] - e[i]));
    scale = Math.max(scale, Math.abs(e[i]));
  }
  assert.ok(err <= 1e-4 * (1 + scale), `${what}: max abs difference ${err} (scale ${scale})`);
}

/** Conv -> BN -> ReLU, conv -> BN (no ReLU), BN after add, conv with its own relu, pools, dense. */
function smallModel(): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const inp = tf.input({ shape: [11, 11, 2] });
  const ap = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
  let h = ap(tf.layers.zeroPadding2d({ padding: 1 }), inp);
  h = ap(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, kernelInitializer: init(1) }), h);
  h = ap(tf.layers.batchNormalization({ axis: 3 }), h);
  h = ap(tf.layers.activation({ activation: 'relu' }), h);
  const a = ap(
    tf.layers.batchNormalization({ axis: 3 }),
    ap(tf.layers.conv2d({ filters: 6, kernelSize: 1, useBias: false, kernelInitializer: init(2) }), h),
  );
  const b = ap(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(3) }), h);
  h = ap(tf.layers.add(), [a, b]);
  h = ap(tf.layers.batchNormalization({ axis: 3 }), h);
  h = ap(tf.layers.reLU(), h);
  h = ap(tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }), h);
  h = ap(tf.layers.averagePooling2d({ poolSize: 2 }), h);
  h = ap(tf.layers.flatten(), h);
  h = ap(tf.layers.dropout({ rate: 0.5 }), h);
  h = ap(tf.layers.leakyReLU({ alpha: 0.3 }), h);
  h = ap(tf.layers.dense({ units: 5, kernelInitializer: init(4) }), h);
  return tf.model({ inputs: inp, outputs: h });
}

for (const backend of ['cpu', 'wasm']) {
  test(`compileForInference = model.predict on a small model (${backend})`, async () => {
    if (backend === 'wasm') registerWasmTrainingKernels();
    await tf.setBackend(backend);
    const model = smallModel();
    randomiseBatchNorms(model);
    const x = tf.randomNormal([3, 11, 11, 2], 0, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const compiled = compileForInference(model);
    assert.equal(compiled.foldedBatchNorms, 2, 'the BN after the add cannot be folded');
    const expected = model.predict(x) as tf.Tensor;
    const actual = compiled.predict(x);
    assertClose(actual, expected, backend);
    tf.dispose([expected, actual]);
    compiled.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
    tf.dispose(x);
    model.dispose();
  });
}

test('compileForInference names the layer it does not know', async () => {
  await tf.setBackend('cpu');
  const inp = tf.input({ shape: [4, 4, 1] });
  const out = tf.layers.upSampling2d({ name: 'up_1' }).apply(inp) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out });
  assert.throws(() => compileForInference(model), /layer 'up_1' of class UpSampling2D is not supported/);
  model.dispose();
});

test('both ResNet-50s: compiled = model.predict on wasm (anysize 32 and 48, Keras-style 200 batch 1)', async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  const cases: Array<[string, () => tf.LayersModel, number, number, number]> = [
    ['anysize 32', () => resnet50AnySize({ inputShape: [32, 32, 1], seed: 3 }), 32, 4, 33],
    ['anysize 48', () => resnet50AnySize({ inputShape: [48, 48, 1], seed: 3 }), 48, 2, 33],
    ['keras 200', () => resnet50({ inputShape: [200, 200, 1], seed: 3, head: 'seed', headDropout: true }), 200, 1, 53],
  ];
  for (const [name, build, side, batch, folds] of cases) {
    const model = build();
    randomiseBatchNorms(model);
    const x = tf.randomUniform([batch, side, side, 1], -0.5, 0.5, 'float32', 9);
    const before = tf.memory().numTensors;
    const predictor = fastPredictor(model);
    assert.equal((predictor as { foldedBatchNorms?: number }).foldedBatchNorms, folds, `${name}: every conv->BN folded`);
    const expected = model.predict(x) as tf.Tensor;
    const actual = predictor.predict(x);
    assertClose(actual, expected, name);
    // A random-weight ResNet's softmax is often saturated, which would hide small errors: also
    // compare the pooled features (the Flatten output), through a model that ends there.
    const flatten = model.layers.find((l) => l.getClassName() === 'Flatten')!;
    const trunk = tf.model({ inputs: model.inputs, outputs: flatten.output as tf.SymbolicTensor });
    const compiledTrunk = compileForInference(trunk);
    const [fExpected, fActual] = [trunk.predict(x) as tf.Tensor, compiledTrunk.predict(x)];
    assertClose(fActual, fExpected, `${name} features`);
    tf.dispose([expected, actual, fExpected, fActual]);
    compiledTrunk.dispose();
    predictor.dispose();
    assert.equal(tf.memory().numTensors, before, `${name}: no tensors leaked`);
    tf.dispose(x);
    model.dispose();
  }
});
