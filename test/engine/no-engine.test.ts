/**
 * The core needs no engine: with the wasm engine never loaded, on the cpu backend, both model
 * kinds build, train one step (BatchNormalization and L1L2 on plain tfjs ops), and predict
 * through the backend-agnostic BN folding. Each test file runs in its own process, so nothing
 * else can have loaded the engine here.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { MODELS } from '../../src/models/registry';
import { trainResnet50 } from '../../src/train';
import { fromTensors } from '../../src/data/data-source';
import { compileForInference } from '../../src/models/inference';
import { capability } from '../../src/engine/capabilities';

test('build, one training step and prediction on cpu with no engine registered', async () => {
  await tf.setBackend('cpu');
  assert.equal(capability('batchNormTraining'), undefined);
  assert.equal(capability('sumOfSquares'), undefined);
  const model = MODELS['resnet50-anysize'].build(32, 1);
  const xs = tf.randomUniform([2, 32, 32, 1], -0.5, 0.5, 'float32', 3) as tf.Tensor4D;
  const ys = tf.oneHot(tf.tensor1d([0, 3], 'int32'), 7) as tf.Tensor2D;
  const before = model.getWeights().map((w) => w.dataSync().slice());
  const { history } = await trainResnet50(fromTensors(xs, ys, { batchSize: 2 }), {
    model,
    optimizer: 'adam',
    epochs: 1,
    verbose: 0,
    validationData: null,
  });
  assert.ok(Number.isFinite(history.loss[0]));
  const after = model.getWeights().map((w) => w.dataSync());
  assert.ok(
    after.some((w, i) => w.some((v, j) => v !== before[i][j])),
    'the step changed the weights',
  );
  const compiled = compileForInference(model);
  const a = (model.predict(xs) as tf.Tensor).dataSync();
  const b = compiled.predict(xs).dataSync();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `${v} vs ${b[i]}`));
  compiled.dispose();
  const loaded = Object.keys(require.cache).filter((k) => /engine[\\/]wasm|tfjs-backend-wasm/.test(k));
  assert.deepEqual(loaded, [], 'no engine module was loaded');
  model.dispose();
  tf.dispose([xs, ys]);
});
