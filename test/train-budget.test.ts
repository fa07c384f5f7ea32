import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainResnet50, TrainingDivergedError } from '../src/train';
import { CSVLogger, ModelCheckpoint } from '../src/training/callbacks';
import { fromTensors } from '../src/data/data-source';
import { ImageDataGenerator } from '../src/data/image-generator';
import { CosineDecay } from '../src/training/schedules';
import { findTrainState, readTrainStateMeta } from '../src/training/train-state';
import { tinyData, tinyModel } from './helpers/tiny';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'budget-'));
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((t) => Array.from(t.dataSync()));

test('a run that crashes mid-epoch and resumes from its mid-epoch state ends with the same weights, history and rates', async () => {
  await tf.setBackend('cpu');
  const train = tinyData(40, 1),
    val = tinyData(12, 2);
  const gen = new ImageDataGenerator({ widthShiftRange: 0.1, horizontalFlip: true });
  const run = (stateDir: string, resume: boolean, crashAt?: { epoch: number; batch: number }) => {
    let epochNow = 0;
    return trainResnet50(gen.flowFromSource(fromTensors(train.xs, train.ys, { batchSize: 8, seed: 5 }), { seed: 5 }), {
      model: tinyModel(resume ? 42 : 1),
      optimizer: 'adam',
      epochs: 3,
      verbose: 0,
      seed: 5,
      stateDir,
      resume,
      learningRateSchedule: new CosineDecay({ initialLearningRate: 0, warmupTarget: 0.02, warmupSteps: 3 }),
      checkpointEvery: { batches: 2 },
      validationData: fromTensors(val.xs, val.ys, { batchSize: 12, shuffle: false }),
      callbacks: [
        {
          onEpochBegin: (e: number) => {
            epochNow = e;
          },
          onBatchEnd: (b: number) => {
            if (crashAt && epochNow === crashAt.epoch && b === crashAt.batch) throw new Error('simulated crash');
          },
        },
      ],
    });
  };
  const straight = await run(path.join(tmp(), 's'), false);
  const dir = path.join(tmp(), 'k');
  await assert.rejects(run(dir, false, { epoch: 1, batch: 3 }), /simulated crash/);
  const meta = readTrainStateMeta(findTrainState(dir)!);
  assert.deepEqual([meta.nextEpoch, meta.nextBatch, meta.step], [1, 2, 7]); // state after batch 2 of epoch 1 (5 batches an epoch)
  const resumed = await run(dir, true);
  assert.deepEqual(weightsOf(resumed.model), weightsOf(straight.model));
  assert.deepEqual(resumed.history, straight.history);
  // lr logged per epoch is the first batch's: warm-up 0 at step 0, then the cosine over 15 - 3 steps.
  assert.equal(straight.history.lr[0], 0);
  const cos = (t: number) => 0.02 * 0.5 * (1 + Math.cos((Math.PI * t) / 12));
  assert.ok(
    Math.abs(straight.history.lr[1] - cos(2)) < 1e-12 && Math.abs(straight.history.lr[2] - cos(7)) < 1e-12,
    `${straight.history.lr}`,
  );
  straight.model.dispose();
  resumed.model.dispose();
  tf.dispose([train.xs, train.ys, val.xs, val.ys]);
});

test('timeBudget stops after the batch where the time ran out, still validating and saving that epoch', async () => {
  await tf.setBackend('cpu');
  const train = tinyData(64, 1),
    val = tinyData(8, 2);
  const dir = path.join(tmp(), 'p');
  let batches = 0;
  const { history, model } = await trainResnet50(fromTensors(train.xs, train.ys, { batchSize: 4, seed: 1 }), {
    model: tinyModel(),
    optimizer: 'adam',
    verbose: 0,
    timeBudget: 0.2 / 60,
    stateDir: dir,
    validationData: fromTensors(val.xs, val.ys, { batchSize: 8, shuffle: false }),
    callbacks: [
      {
        onBatchEnd: async () => {
          batches++;
          await new Promise((r) => setTimeout(r, 50));
        },
      },
    ],
  });
  assert.ok(batches >= 2 && batches < 16, `stopped after ${batches} batches of a 16-batch epoch`);
  assert.equal(history.val_acc.length, 1);
  const meta = readTrainStateMeta(dir);
  assert.equal(meta.step, batches);
  assert.ok(meta.elapsedMs >= 200, `elapsed ${meta.elapsedMs}`);
  // A resume with the budget already spent trains nothing more.
  const again = await trainResnet50(fromTensors(train.xs, train.ys, { batchSize: 4, seed: 1 }), {
    model,
    optimizer: 'adam',
    verbose: 0,
    timeBudget: 0.2 / 60,
    stateDir: dir,
    resume: true,
    validationData: null,
  });
  assert.equal(again.history.loss.length, 1);
  model.dispose();
  tf.dispose([train.xs, train.ys, val.xs, val.ys]);
});

test('a diverged run keeps the last good state and best model on disk, writes no final model, and says which batch', async () => {
  await tf.setBackend('cpu');
  const train = tinyData(16, 1),
    val = tinyData(8, 2);
  const dir = tmp();
  const prefix = path.join(dir, 'p');
  const lrs = [0.01, 1e30];
  const err = await trainResnet50(fromTensors(train.xs, train.ys, { batchSize: 8, seed: 1 }), {
    model: tinyModel(),
    optimizer: 'sgd',
    epochs: 3,
    verbose: 0,
    savePrefix: prefix,
    seed: 1,
    validationData: fromTensors(val.xs, val.ys, { batchSize: 8, shuffle: false }),
    // epoch 0 at a sane rate, then a rate that blows the weights up
    callbacks: [new ModelCheckpoint({ filepath: `${prefix}_best`, saveBestOnly: true })],
    learningRateSchedule: { learningRate: (step: number) => lrs[Math.min(1, Math.floor(step / 2))], getConfig: () => ({ decaySteps: 10 }) },
  }).then(
    () => null,
    (e: Error) => e,
  );
  assert.ok(err instanceof TrainingDivergedError, `got ${err}`);
  assert.match(err.message, /epoch 2, batch \d+ \(index \d+\) is not finite/);
  assert.match(err.message, new RegExp(`${prefix}_state`));
  assert.match(err.message, new RegExp(`${prefix}_best`));
  assert.equal(fs.existsSync(`${prefix}_model.json`), false);
  const meta = readTrainStateMeta(`${prefix}_state`);
  assert.equal(meta.nextEpoch, 1);
  const bin = fs.readFileSync(path.join(`${prefix}_state`, 'weights.bin'));
  const floats = new Float32Array(bin.buffer, bin.byteOffset, Math.floor(bin.byteLength / 4));
  assert.ok(floats.every(Number.isFinite), 'the state on disk is finite');
  tf.dispose([train.xs, train.ys, val.xs, val.ys]);
});

test('resume refuses a state trained with another optimizer; --lr overrides only when asked, and says so', async () => {
  await tf.setBackend('cpu');
  const train = tinyData(8, 1);
  const dir = path.join(tmp(), 's');
  const src = () => fromTensors(train.xs, train.ys, { batchSize: 8, seed: 1 });
  const first = await trainResnet50(src(), {
    model: tinyModel(),
    optimizer: 'adam',
    epochs: 1,
    verbose: 0,
    stateDir: dir,
    validationData: null,
  });
  await assert.rejects(
    trainResnet50(src(), {
      model: first.model,
      optimizer: 'momentum',
      epochs: 2,
      verbose: 0,
      stateDir: dir,
      resume: true,
      validationData: null,
    }),
    /trained with Adam, not Momentum/,
  );
  const kept = await trainResnet50(src(), {
    model: first.model,
    optimizer: 'adam',
    learningRate: 0.5,
    epochs: 2,
    verbose: 0,
    stateDir: dir,
    resume: true,
    validationData: null,
  });
  assert.deepEqual(kept.history.lr, [0.001, 0.001]);
  first.model.dispose();
  tf.dispose([train.xs, train.ys]);
});

test('CSVLogger on resume drops rows written after the state (a kill between the row and the state)', async () => {
  const dir = tmp();
  const file = path.join(dir, 'log.csv');
  fs.writeFileSync(file, 'epoch,loss\n0,1\n1,0.5\n');
  const cb = new CSVLogger(file, { append: true });
  await cb.onTrainBegin();
  cb.setState({ rows: 1 }); // the state knew of epoch 0 only
  await cb.onEpochEnd(1, { loss: 0.4 });
  assert.equal(fs.readFileSync(file, 'utf8'), 'epoch,loss\n0,1\n1,0.4\n');
  assert.deepEqual(cb.getState(), { rows: 2 });
});

test('after trainResnet50 and model.dispose() no tensor is left, whether the call succeeds or fails', async () => {
  await tf.setBackend('cpu');
  const train = tinyData(8, 1);
  const before = tf.memory().numTensors;
  const { model } = await trainResnet50(fromTensors(train.xs, train.ys, { batchSize: 4, seed: 1 }), {
    model: tinyModel(),
    optimizer: 'adam',
    epochs: 2,
    verbose: 0,
    validationData: null,
  });
  model.dispose();
  assert.equal(tf.memory().numTensors, before, 'Adam slots freed with the optimizer');
  const big = tf.zeros([2, 32, 32, 1]) as tf.Tensor4D,
    labels = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 7) as tf.Tensor2D;
  const start = tf.memory().numTensors;
  await assert.rejects(
    trainResnet50(fromTensors(big, labels), {
      model: 'resnet50-anysize',
      modelWeights: path.join(tmp(), 'none.h5'),
      verbose: 0,
      validationData: null,
    }),
  );
  assert.equal(tf.memory().numTensors, start, 'the model built for a failed call is disposed');
  tf.dispose([train.xs, train.ys, big, labels]);
});
