import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemIO, loadModel, saveModel } from '../../src/io/model-io';
import { resnet50AnySize } from '../../src/resnet50-anysize';

const made: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-io-'));
  made.push(dir);
  return dir;
}
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A small model with the layer kinds ResNet uses (conv bias, BN with non-trainable stats, regularizer). */
function smallModel(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1] });
  let x = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      name: 'c1',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }),
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers
    .batchNormalization({
      name: 'bn1',
      movingMeanInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed + 1 }),
      movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: seed + 2 }),
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: 7, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

function predict(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

test('setup', async () => {
  await tf.setBackend('cpu');
});

test('saveModel writes the standard tfjs layout and loadModel restores identical predictions', async () => {
  const dir = path.join(tmpDir(), 'nested', 'out');
  const model = smallModel(1);
  await saveModel(model, dir);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'model.weights.bin']); // no temp files left
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.equal(json.modelTopology.class_name, 'Model');
  assert.deepEqual(json.weightsManifest[0].paths, ['model.weights.bin']);
  // c1 kernel+bias (3*3*1*4 + 4), bn1 gamma/beta/mean/variance (4*4), out on the 6x6x4 map (144*7 + 7), float32
  const floats = 3 * 3 * 4 + 4 + 4 * 4 + (6 * 6 * 4 * 7 + 7);
  assert.equal(fs.statSync(path.join(dir, 'model.weights.bin')).size, floats * 4);

  const x = tf.randomUniform([3, 8, 8, 1], -0.5, 0.5, 'float32', 9);
  const fromDir = await loadModel(dir);
  const fromJson = await loadModel(path.join(dir, 'model.json'));
  assert.deepEqual(predict(fromDir, x), predict(model, x));
  assert.deepEqual(predict(fromJson, x), predict(model, x));
  // Non-trainable BN statistics come back too (they are not the initial zeros/ones).
  assert.deepEqual(fromDir.getLayer('bn1').getWeights()[2].dataSync(), model.getLayer('bn1').getWeights()[2].dataSync());
  tf.dispose(x);
  [model, fromDir, fromJson].forEach((m) => m.dispose());
});

test('fileSystemIO names the weights after the json and overwrites an earlier save', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'best.json');
  await smallModel(1).save(fileSystemIO(file));
  const second = smallModel(2);
  await second.save(fileSystemIO(file));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['best.json', 'best.weights.bin']);
  const loaded = await tf.loadLayersModel(fileSystemIO(file));
  const x = tf.ones([1, 8, 8, 1]);
  assert.deepEqual(predict(loaded, x), predict(second, x));
  tf.dispose(x);
});

test('the any-size ResNet-50 (Keras names, regularizers) round-trips', async () => {
  const dir = tmpDir();
  const model = resnet50AnySize({ inputShape: [32, 32, 1], seed: 3 });
  await saveModel(model, dir);
  const loaded = await loadModel(dir);
  assert.deepEqual(
    loaded.layers.map((l) => l.name),
    model.layers.map((l) => l.name),
  );
  assert.equal(loaded.countParams(), model.countParams());
  const x = tf.randomUniform([1, 32, 32, 1], -0.5, 0.5, 'float32', 4);
  assert.deepEqual(predict(loaded, x), predict(model, x));
  tf.dispose(x);
  model.dispose();
  loaded.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad paths and files give errors naming the file', async () => {
  const dir = tmpDir();
  await assert.rejects(loadModel(path.join(dir, 'missing')), /missing does not exist/);
  await assert.rejects(loadModel(dir), new RegExp(`folder ${dir} has no model.json`));
  fs.writeFileSync(path.join(dir, 'model.json'), '{ not json');
  await assert.rejects(loadModel(dir), /model\.json is not valid JSON/);
  fs.writeFileSync(path.join(dir, 'model.json'), '{"format": "x"}');
  await assert.rejects(loadModel(dir), /model\.json is not a tfjs model\.json/);

  const good = path.join(dir, 'good');
  await saveModel(smallModel(1), good);
  const weights = path.join(good, 'model.weights.bin');
  fs.truncateSync(weights, 100);
  await assert.rejects(loadModel(good), /holds? 100 bytes but its manifest describes/);
  fs.rmSync(weights);
  await assert.rejects(loadModel(good), /model\.weights\.bin listed in .*model\.json cannot be read/);
});
