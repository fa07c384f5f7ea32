import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainResnet50 } from '../src/train';
import { balancedClassWeights } from '../src/training/loss';
import { makeTrainStep } from '../src/training/step';
import { EarlyStopping, ModelCheckpoint, ReduceLROnPlateau } from '../src/training/callbacks';
import { fromTensors } from '../src/data/data-source';
import { tinyData, tinyModel } from './helpers/tiny';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'train-'));

test('loss decreases on learnable data and numTensors is the same after epoch 1 and epoch 3', async () => {
  await tf.setBackend('cpu');
  const train = tinyData(48, 1),
    val = tinyData(24, 2);
  const counts: number[] = [];
  const { history, model } = await trainResnet50(fromTensors(train.xs, train.ys, { batchSize: 8, seed: 3 }), {
    model: tinyModel(),
    optimizer: 'adam',
    learningRate: 0.01,
    epochs: 4,
    verbose: 0,
    seed: 3,
    validationData: fromTensors(val.xs, val.ys, { batchSize: 8, shuffle: false }),
    callbacks: [
      new ReduceLROnPlateau({ patience: 1 }),
      new EarlyStopping({ patience: 10, restoreBestWeights: true }),
      {
        onEpochEnd: () => {
          counts.push(tf.memory().numTensors);
        },
      },
    ],
  });
  assert.equal(history.loss.length, 4);
  assert.ok(history.loss[3] < 0.7 * history.loss[0], `loss ${history.loss}`);
  assert.ok(history.val_acc[3] > 0.8, `val_acc ${history.val_acc}`);
  assert.equal(counts[0], counts[2]);
  assert.deepEqual(history.lr.length, 4);
  model.dispose();
  tf.dispose([train.xs, train.ys, val.xs, val.ys]);
});

test('makeTrainStep loss = mean categorical cross-entropy + L2 penalty of the conv kernel (what model.fit minimises)', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel(4, 0.05);
  const { xs, ys } = tinyData(6, 9);
  // Expected, computed independently: training-mode forward pass (BN batch statistics),
  // -sum(y log p) per sample, mean, plus 0.05 * sum(kernel^2).
  const [expected, expectedAcc] = tf.tidy(() => {
    const p = tf.clipByValue(model.apply(xs, { training: true }) as tf.Tensor, 1e-7, 1 - 1e-7);
    const ce = tf.mean(tf.neg(tf.sum(tf.mul(ys, tf.log(p)), -1)));
    const kernel = model.layers[1].getWeights()[0];
    // Batch accuracy: the share of rows whose argmax is the true class.
    const acc = tf.mean(tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(ys, -1)), 'float32'));
    return [tf.add(ce, tf.mul(0.05, tf.sum(tf.square(kernel)))).dataSync()[0], acc.dataSync()[0]];
  });
  const step = makeTrainStep(model, tf.train.sgd(0), {});
  const before = tf.memory().numTensors;
  const r = await step(xs, ys);
  await step(xs, ys);
  assert.ok(Math.abs(r.loss - expected) < 1e-5, `${r.loss} vs ${expected}`);
  assert.ok(Math.abs(r.acc - expectedAcc) < 1e-6, `acc ${r.acc} vs ${expectedAcc}`);
  assert.equal(tf.memory().numTensors, before); // no leak per step
  model.dispose();
  tf.dispose([xs, ys]);
});

test("class weights: 'balanced' is sklearn's n/(k*count) and the step weights each sample's loss as Keras", async () => {
  await tf.setBackend('cpu');
  // sklearn compute_class_weight('balanced') for counts [2, 6, 4]: n = 12, k = 3 -> 12/6, 12/18, 12/12.
  const w = balancedClassWeights([2, 6, 4]);
  [2, 2 / 3, 1].forEach((v, i) => assert.ok(Math.abs(w[i] - v) < 1e-12));
  const model = tinyModel(5, 0);
  const { xs, ys } = tinyData(6, 11);
  const cw = [2, 0.5, 1];
  const expected = tf.tidy(() => {
    const p = tf.clipByValue(model.apply(xs, { training: true }) as tf.Tensor, 1e-7, 1 - 1e-7);
    const ce = tf.neg(tf.sum(tf.mul(ys, tf.log(p)), -1));
    const sw = tf.sum(tf.mul(ys, tf.tensor1d(cw)), -1);
    return tf.mean(tf.mul(ce, sw)).dataSync()[0]; // no zero weights, so Keras's mean(w != 0) divisor is 1
  });
  const r = await makeTrainStep(model, tf.train.sgd(0), { classWeights: cw })(xs, ys);
  assert.ok(Math.abs(r.loss - expected) < 1e-5, `${r.loss} vs ${expected}`);
  model.dispose();
  tf.dispose([xs, ys]);
});

test('resume: 2 epochs then resume to 4 gives the same weights, LR schedule and history as 4 epochs straight', async () => {
  await tf.setBackend('cpu');
  const train = tinyData(24, 1),
    val = tinyData(12, 2);
  const run = async (epochs: number, stateDir: string, resume: boolean, initSeed: number) =>
    trainResnet50(fromTensors(train.xs, train.ys, { batchSize: 8, seed: 7 }), {
      model: tinyModel(initSeed),
      optimizer: 'adam',
      learningRate: 0.01,
      epochs,
      verbose: 0,
      seed: 7,
      stateDir,
      resume,
      validationData: fromTensors(val.xs, val.ys, { batchSize: 12, shuffle: false }),
      callbacks: [new ReduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5, min_delta: 10 })], // never improves after epoch 0
    });
  const dirA = path.join(tmp(), 'a'),
    dirB = path.join(tmp(), 'b');
  const straight = await run(4, dirA, false, 1);
  const first = await run(2, dirB, false, 1);
  first.model.dispose();
  const resumed = await run(4, dirB, true, 99); // different init: everything must come from the state
  assert.deepEqual(resumed.history.lr, straight.history.lr);
  // logs.lr is the LR an epoch ran with: e0 sets best; e1, e2, e3 each halve it at their end.
  assert.deepEqual(resumed.history.lr, [0.01, 0.01, 0.005, 0.0025]);
  const wa = straight.model.getWeights().map((t) => Array.from(t.dataSync()));
  const wb = resumed.model.getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(wb, wa);
  assert.deepEqual(resumed.history.loss, straight.history.loss);
  straight.model.dispose();
  resumed.model.dispose();
  tf.dispose([train.xs, train.ys, val.xs, val.ys]);
});

test('ModelCheckpoint writes atomically: a failing save leaves the previous checkpoint intact', async () => {
  await tf.setBackend('cpu');
  const dir = tmp();
  const target = path.join(dir, 'ckpt');
  const model = tinyModel();
  const cb = new ModelCheckpoint({ filepath: target });
  cb.setContext({ model } as never);
  await cb.onEpochEnd(0, {});
  const files = fs.readdirSync(target).sort();
  assert.deepEqual(files, ['model.json', 'model.weights.bin']);
  const before = files.map((f) => fs.readFileSync(path.join(target, f)));
  model.setWeights(model.getWeights().map((w) => tf.onesLike(w)));
  const realSave = model.save.bind(model);
  model.save = async (handler, config) => {
    await realSave(handler, config);
    throw new Error('disk full');
  };
  await assert.rejects(cb.onEpochEnd(1, {}), /disk full/);
  assert.deepEqual(fs.readdirSync(dir), ['ckpt']); // no staging folder left behind
  files.forEach((f, i) => assert.deepEqual(fs.readFileSync(path.join(target, f)), before[i]));
  model.dispose();
});

test('a tf.data.Dataset of {xs, ys} batches trains too', async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(12, 4);
  const ds = tf.data.zip({ xs: tf.data.array(tf.unstack(xs)), ys: tf.data.array(tf.unstack(ys)) }).batch(6);
  const { history, model } = await trainResnet50(ds as never, { model: tinyModel(), epochs: 1, verbose: 0, validationData: null });
  assert.equal(history.loss.length, 1);
  assert.ok(Number.isFinite(history.loss[0]));
  assert.deepEqual(history.val_loss, []);
  model.dispose();
  tf.dispose([xs, ys]);
});

test("tfjs's own callbacks get the model: tf.callbacks.earlyStopping and a tf.Callback subclass stop the run", async () => {
  await tf.setBackend('cpu');
  const train = tinyData(24, 1);
  const run = async (callback: tf.Callback) => {
    const { history, model } = await trainResnet50(fromTensors(train.xs, train.ys, { batchSize: 8, seed: 3 }), {
      model: tinyModel(),
      optimizer: 'adam',
      epochs: 5,
      verbose: 0,
      seed: 3,
      callbacks: [callback],
    });
    model.dispose();
    return history.loss.length;
  };
  // A baseline no loss can beat: patience 2 stops after the second epoch, as tfjs and Keras do.
  assert.equal(await run(tf.callbacks.earlyStopping({ monitor: 'loss', baseline: -1, patience: 2 })), 2);
  class StopAfterFourth extends tf.Callback {
    async onEpochEnd(epoch: number) {
      if (epoch === 3) this.model.stopTraining = true;
    }
  }
  assert.equal(await run(new StopAfterFourth()), 4);
  tf.dispose([train.xs, train.ys]);
});
