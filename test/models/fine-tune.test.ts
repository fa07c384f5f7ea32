/**
 * Fine-tuning's model side (issue 21): a new head for new classes keeps the body and, for the
 * classes the old head knew by name, their exact weights; the names travel in model.json and
 * plain tfjs still loads it; a frozen step leaves the frozen weights and BatchNorm statistics
 * unchanged, keeps Adam's per-position slots with their variables across the unfreeze, and
 * leaks no tensor; the released layers start with a fresh optimizer state, as Keras recompiles; the early stages of the any-size ResNet-50 are the stem and conv2_x.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { classNamesOf, earlyStageLayers, freezeLayers, withClassHead } from '../../src/models/fine-tune';
import { EMOTIONS } from '../../src/data/emotions';
import { saveModel, fileSystemIO } from '../../src/io/model-io';
import { makeTrainStep } from '../../src/training/step';
import { makeOptimizer, resetOptimizerState } from '../../src/training/optimizers';
import { trainResnet50 } from '../../src/train';
import { fromTensors } from '../../src/data/data-source';
import { resnet50AnySize } from '../../src/resnet50-anysize';
import { batchNormalization } from '../../src/models/batch-normalization';
import { tinyClassifier, tinyData } from '../helpers/tiny';

/** tinyModel's conv + BN + dense, with the library's BatchNormalization (every model it builds or loads has it). */
function tinyWithOurBatchNorm(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1] });
  let x = tf.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })
    .apply(input) as tf.SymbolicTensor;
  x = batchNormalization().apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(tf.layers.activation({ activation: 'relu' }).apply(x)) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(x);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fine-tune-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a new head: the body kept, Happy and Sad keep their columns, the names saved and read back by plain tfjs', async () => {
  await tf.setBackend('cpu');
  const base = tinyClassifier(12, { filters: 2, kernelSize: 3, seed: 4 });
  assert.deepEqual(classNamesOf(base), [...EMOTIONS]);
  const [conv, , kernel7, bias7] = base.getWeights().map((w) => w.arraySync() as number[][]);
  const model = withClassHead(base, ['Happy', 'Sad', 'confused'], 9);
  assert.deepEqual(model.outputs[0].shape, [null, 3]);
  assert.deepEqual(classNamesOf(model), ['Happy', 'Sad', 'confused']);
  const [conv2, , kernel3, bias3] = model.getWeights().map((w) => w.arraySync() as number[][]);
  assert.deepEqual(conv2, conv, 'the body is the same weights');
  const col = (k: number[][], j: number) => k.map((row) => row[j]);
  assert.deepEqual(col(kernel3, 0), col(kernel7, 3)); // Happy is EMOTIONS[3]
  assert.deepEqual(col(kernel3, 1), col(kernel7, 4)); // Sad is EMOTIONS[4]
  assert.notDeepEqual(col(kernel3, 2), col(kernel7, 2));
  assert.deepEqual(bias3, [bias7[3], bias7[4], 0]);
  // Same classes, same order: the model itself, untouched.
  assert.equal(withClassHead(model, ['Happy', 'Sad', 'confused']), model);
  assert.throws(() => withClassHead(model, ['only']), /at least two classes/);

  await saveModel(model, path.join(dir, 'm'));
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'm', 'model.json'), 'utf8'));
  assert.deepEqual(json.userDefinedMetadata, { classNames: ['Happy', 'Sad', 'confused'] });
  const loaded = await tf.loadLayersModel(fileSystemIO(path.join(dir, 'm', 'model.json')));
  assert.deepEqual(classNamesOf(loaded), ['Happy', 'Sad', 'confused']);
  const x = tf.randomUniform([2, 12, 12, 1], -0.5, 0.5, 'float32', 1);
  const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  assert.deepEqual(a.arraySync(), b.arraySync());
  tf.dispose([x, a, b]);
  model.dispose();
  loaded.dispose();
});

test('a frozen step leaves frozen weights and BatchNorm statistics alone; Adam keeps each slot with its variable across the unfreeze; no leak', async () => {
  await tf.setBackend('cpu');
  const model = tinyWithOurBatchNorm();
  const { xs, ys } = tinyData(12, 5);
  const optimizer = tf.train.adam(0.01);
  const convAndBn = model.layers.filter((l) => ['Conv2D', 'BatchNormalization'].includes(l.getClassName())).map((l) => l.name);
  const before = model.getWeights().map((w) => w.arraySync());
  const frozen = freezeLayers(model, convAndBn, true);
  assert.equal(frozen.size, 4); // conv kernel + bias, BN gamma + beta
  const step = makeTrainStep(model, optimizer, { frozen });
  await step(xs, ys);
  const startTensors = tf.memory().numTensors;
  await step(xs, ys);
  assert.equal(tf.memory().numTensors, startTensors, 'a frozen step leaks no tensor');
  const after = model.getWeights().map((w) => w.arraySync());
  const names = model.weights.map((w) => w.originalName);
  names.forEach((n, i) => {
    const moved = JSON.stringify(after[i]) !== JSON.stringify(before[i]);
    // Frozen: the conv and BN weights, and (inference-mode BN) its moving statistics; the dense head trains.
    assert.equal(moved, n.startsWith('dense'), `${n} ${moved ? 'moved' : 'stayed'}`);
  });
  // Unfrozen, the same optimizer: every variable's slots must match its shape (a shorter list
  // while frozen would have put the dense kernel's slots first, and this step would throw).
  freezeLayers(model, convAndBn, false);
  const all = makeTrainStep(model, optimizer);
  const r = await all(xs, ys);
  assert.ok(Number.isFinite(r.loss));
  const slots = (await optimizer.getWeights()).slice(1);
  const vars = model.trainableWeights;
  assert.equal(slots.length, 2 * vars.length);
  vars.forEach((v, i) => assert.deepEqual(slots[i].tensor.shape, v.shape, `first moment ${i} has ${v.originalName}'s shape`));
  const moved = model.getWeights().map((w) => w.arraySync());
  assert.notDeepEqual(moved[0], before[0], 'the conv kernel trains once unfrozen');
  tf.dispose([xs, ys]);
  optimizer.dispose();
  model.dispose();
});

test("--freeze's early stages of the any-size ResNet-50 at 48: the stem and conv2_x (every layer at 12x12 or more)", async () => {
  await tf.setBackend('cpu');
  const model = resnet50AnySize({ inputShape: [48, 48, 1] });
  const early = earlyStageLayers(model);
  const side = (name: string) => (model.getLayer(name).outputShape as number[])[1];
  assert.equal(early[0], 'conv2d_1');
  assert.ok(early.includes('max_pooling2d_1'));
  assert.ok(early.every((n) => side(n) >= 12));
  // conv2_x: 3 bottlenecks of 3 convolutions plus the first block's shortcut, and the stem's one.
  assert.equal(early.filter((n) => model.getLayer(n).getClassName() === 'Conv2D').length, 1 + 3 * 3 + 1);
  const rest = model.layers.filter((l) => !early.includes(l.name) && l.getClassName() === 'Conv2D');
  assert.ok(rest.every((l) => (l.outputShape as number[])[1] <= 6));
  model.dispose();
});

test('resetOptimizerState: after steps, Adam and momentum take the same next step as a fresh optimizer; nothing leaks', async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(12, 6);
  for (const make of [() => makeOptimizer('adam', 0.01), () => makeOptimizer('momentum', 0.05)]) {
    const used = tinyWithOurBatchNorm();
    const optimizer = make();
    const step = makeTrainStep(used, optimizer);
    for (let i = 0; i < 5; i++) await step(xs, ys);
    const fresh = tinyWithOurBatchNorm();
    fresh.setWeights(used.getWeights());
    const start = tf.memory().numTensors;
    await resetOptimizerState(optimizer);
    assert.equal(tf.memory().numTensors, start, 'reset in place: no tensor made or lost');
    await step(xs, ys);
    const freshOptimizer = make();
    await makeTrainStep(fresh, freshOptimizer)(xs, ys);
    const [a, b] = [used, fresh].map((m) => m.getWeights().map((w) => Array.from(w.dataSync())));
    a.forEach((w, i) =>
      w.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) < 1e-6, `${used.weights[i].originalName}[${j}]: ${v} vs ${b[i][j]}`)),
    );
    tf.dispose([optimizer, freshOptimizer]);
    used.dispose();
    fresh.dispose();
  }
  tf.dispose([xs, ys]);
});

test('the first step after --freeze releases the early layers moves them as a fresh Adam would: by the learning rate, not by a stale bias correction', async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(12, 7);
  const model = tinyWithOurBatchNorm();
  const lr = 0.01;
  const kernel = () => Array.from(model.getWeights()[0].dataSync());
  let epoch = -1,
    beforeRelease: number[] = [],
    afterRelease: number[] = [];
  const conv = model.layers.find((l) => l.getClassName() === 'Conv2D')!.name;
  await trainResnet50(fromTensors(xs, ys, { batchSize: 4, seed: 2 }), {
    model,
    optimizer: makeOptimizer('adam', lr),
    epochs: 3,
    freezeEpochs: 2,
    freezeLayers: [conv],
    verbose: 0,
    validationData: null,
    callbacks: [
      {
        onEpochBegin: async (e: number) => {
          epoch = e;
          if (e === 2) beforeRelease = kernel();
        },
        onBatchEnd: async (b: number) => {
          if (epoch === 2 && b === 0) afterRelease = kernel();
        },
      },
    ],
  } as never);
  // Six frozen steps (two epochs of three batches): with the moments left at zero and the step
  // count at 7, Adam's first update of the kernel would be about 0.5 lr per element.
  const largest = Math.max(...afterRelease.map((v, i) => Math.abs(v - beforeRelease[i])));
  assert.ok(Math.abs(largest - lr) < lr * 1e-3, `largest first update ${largest}, a fresh Adam's is ${lr}`);
  model.dispose();
  tf.dispose([xs, ys]);
});
