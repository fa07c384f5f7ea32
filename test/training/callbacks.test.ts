import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  Callback,
  CSVLogger,
  EarlyStopping,
  formatFilepath,
  ModelCheckpoint,
  ReduceLROnPlateau,
  TerminateOnNaN,
  TrainingContext,
} from '../../src/training/callbacks';

function fakeContext(lr = 1, model?: tf.LayersModel): TrainingContext & { lr: number; logs: string[] } {
  const ctx = {
    lr,
    logs: [] as string[],
    model: model as tf.LayersModel,
    optimizer: null as unknown as tf.Optimizer,
    stopTraining: false,
    verbose: 0,
    getLearningRate: () => ctx.lr,
    setLearningRate: (v: number) => {
      ctx.lr = v;
    },
    log: (m: string) => {
      ctx.logs.push(m);
    },
  };
  return ctx;
}

async function drive(cb: Callback, ctx: TrainingContext, series: Record<string, number>[]): Promise<Record<string, number>[]> {
  cb.setContext(ctx);
  await cb.onTrainBegin({});
  const seen = [];
  for (let e = 0; e < series.length && !ctx.stopTraining; e++) {
    const logs = { ...series[e] };
    await cb.onEpochEnd(e, logs);
    seen.push(logs);
  }
  await cb.onTrainEnd({});
  return seen;
}

test('formatFilepath follows Python str.format for {epoch:02d} and {val_loss:.2f}', () => {
  assert.equal(formatFilepath('w-{epoch:02d}-{val_loss:.2f}.h5', { epoch: 3, val_loss: 0.12345 }), 'w-03-0.12.h5');
  assert.equal(formatFilepath('plain', {}), 'plain');
  assert.throws(() => formatFilepath('{val_acc}', { epoch: 1 }), /no 'val_acc'/);
});

test('ReduceLROnPlateau: exact LR sequence with patience 2, cooldown 1, min_lr 0.1 (Keras >= 2.2.3 semantics)', async () => {
  // Hand trace (wait/cooldown as in Keras's on_epoch_end; logs.lr is the LR the epoch ran with):
  // e0 best=1.0 | e1 wait1 | e2 wait2 -> lr 0.5, cd1 | e3 cd->0 (wait reset), then not in cooldown: wait1
  // e4 wait2 -> 0.25 cd1 | e5 cd->0, improves (0.5) wait0 | e6 wait1 | e7 wait2 -> 0.125 | e8 wait1
  // e9 wait2 -> max(0.0625, 0.1) = 0.1 | e10 wait1 | e11 wait2 but lr 0.1 is not > min_lr: unchanged.
  const vals = [1, 1, 1, 1, 1, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6];
  const ctx = fakeContext(1);
  const cb = new ReduceLROnPlateau({ factor: 0.5, patience: 2, cooldown: 1, min_lr: 0.1, min_delta: 0 });
  const seen = await drive(
    cb,
    ctx,
    vals.map((v) => ({ val_loss: v })),
  );
  assert.deepEqual(
    seen.map((l) => l.lr),
    [1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1],
  );
  assert.equal(ctx.lr, 0.1);
});

test('ReduceLROnPlateau: min_delta decides what counts as improvement; mode auto maximises val_acc', async () => {
  const ctx = fakeContext(1);
  // val_acc creeps up 0.003 per epoch, never beyond best + 0.01 = 0.51: three non-improving epochs -> reduce.
  const cb = new ReduceLROnPlateau({ monitor: 'val_acc', factor: 0.1, patience: 3, min_delta: 0.01 });
  await drive(
    cb,
    ctx,
    [0.5, 0.503, 0.506, 0.509].map((v) => ({ val_acc: v })),
  );
  assert.ok(Math.abs(ctx.lr - 0.1) < 1e-12);
  const ctx2 = fakeContext(1);
  await drive(
    new ReduceLROnPlateau({ monitor: 'val_acc', factor: 0.1, patience: 3, min_delta: 0.001 }),
    ctx2,
    [0.5, 0.503, 0.506, 0.509].map((v) => ({ val_acc: v })),
  );
  assert.equal(ctx2.lr, 1); // each +0.003 beats min_delta 0.001
  assert.throws(() => new ReduceLROnPlateau({ factor: 1 }), /factor >= 1/);
});

test('ReduceLROnPlateau state survives getState/setState (resume)', async () => {
  const a = new ReduceLROnPlateau({ patience: 3 });
  const ctx = fakeContext(1);
  await drive(a, ctx, [{ val_loss: 1 }, { val_loss: 2 }, { val_loss: 2 }]);
  const b = new ReduceLROnPlateau({ patience: 3 });
  b.setContext(ctx);
  await b.onTrainBegin();
  b.setState(JSON.parse(JSON.stringify(a.getState())));
  await b.onEpochEnd(3, { val_loss: 2 }); // third bad epoch in a row: reduces now, as an uninterrupted run would
  assert.ok(Math.abs(ctx.lr - 0.1) < 1e-12);
});

test('EarlyStopping: min_delta and patience stop at the right epoch and restore the best weights', async () => {
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false })] });
  const ctx = fakeContext(1, model);
  // Hand trace, min_delta 0.1 (improvement needs current + 0.1 < best), patience 2:
  // e0 best 1.0 | e1 0.95: 1.05 < 1.0? no, wait1 | e2 0.85: 0.95 < 1.0 yes, best .85 | e3 .84 wait1 | e4 .80 wait2 -> stop.
  const series = [1.0, 0.95, 0.85, 0.84, 0.8, 0.1];
  const cb = new EarlyStopping({ min_delta: 0.1, patience: 2, restore_best_weights: true });
  cb.setContext(ctx);
  await cb.onTrainBegin();
  let e = 0;
  for (; e < series.length && !ctx.stopTraining; e++) {
    model.setWeights([tf.tensor2d([[e]])]); // the weights "trained" in epoch e are the number e
    await cb.onEpochEnd(e, { val_loss: series[e] });
  }
  assert.equal(e, 5);
  assert.equal(cb.stoppedEpoch, 4);
  assert.deepEqual(Array.from(model.getWeights()[0].dataSync()), [2]);
  const before = tf.memory().numTensors;
  await cb.onTrainEnd();
  assert.equal(tf.memory().numTensors, before - 1); // the kept copy of the best weights is released
  model.dispose();
});

test('ModelCheckpoint: save_best_only on val_acc (mode auto = max) saves epochs 1 and 3 with formatted names', async () => {
  const saved: string[] = [];
  const cb = new ModelCheckpoint({
    filepath: 'ck-{epoch:02d}-{val_acc:.2f}',
    monitor: 'val_acc',
    save_best_only: true,
    saver: async (_m, p) => {
      saved.push(p);
    },
  });
  await drive(
    cb,
    fakeContext(),
    [0.5, 0.4, 0.6, 0.6].map((v) => ({ val_acc: v })),
  );
  assert.deepEqual(saved, ['ck-01-0.50', 'ck-03-0.60']);
  const all: string[] = [];
  const every = new ModelCheckpoint({
    filepath: 'e{epoch}',
    saver: async (_m, p) => {
      all.push(p);
    },
    period: 2,
  });
  await drive(every, fakeContext(), [{}, {}, {}, {}]);
  assert.deepEqual(all, ['e2', 'e4']);
});

test('ModelCheckpoint: a failing save propagates and does not update best', async () => {
  let fail = true;
  const cb = new ModelCheckpoint({
    filepath: 'x',
    save_best_only: true,
    saver: async () => {
      if (fail) throw new Error('disk full');
    },
  });
  cb.setContext(fakeContext());
  await cb.onTrainBegin();
  await assert.rejects(cb.onEpochEnd(0, { val_loss: 1 }), /disk full/);
  fail = false;
  assert.equal(cb.best, Infinity);
});

test('CSVLogger writes epoch,loss,acc,val_loss,val_acc,lr and appends without a new header on resume', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'csv-')), 'log.csv');
  const row = (i: number) => ({ loss: 1 / (i + 1), acc: 0.1 * i, val_loss: 2, val_acc: 0.5, lr: 0.01 });
  await drive(new CSVLogger(file), fakeContext(), [row(0), row(1)]);
  const resumed = new CSVLogger(file, { append: true });
  resumed.setContext(fakeContext());
  await resumed.onTrainBegin();
  await resumed.onEpochEnd(2, row(2));
  assert.deepEqual(fs.readFileSync(file, 'utf8').trim().split('\n'), [
    'epoch,loss,acc,val_loss,val_acc,lr',
    '0,1,0,2,0.5,0.01',
    '1,0.5,0.1,2,0.5,0.01',
    `2,${1 / 3},0.2,2,0.5,0.01`,
  ]);
});

test('CSVLogger creates the folder of its file (a fresh run prefix such as runs/demo)', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'csv-')), 'runs', 'nested', 'log.csv');
  await drive(new CSVLogger(file), fakeContext(), [{ loss: 1, acc: 0.5, val_loss: 2, val_acc: 0.25, lr: 0.1 }]);
  assert.deepEqual(fs.readFileSync(file, 'utf8').trim().split('\n'), ['epoch,loss,acc,val_loss,val_acc,lr', '0,1,0.5,2,0.25,0.1']);
});

test('TerminateOnNaN stops on a NaN or infinite batch loss only', async () => {
  const ctx = fakeContext();
  const cb = new TerminateOnNaN();
  cb.setContext(ctx);
  await cb.onBatchEnd(0, { loss: 1.5 });
  assert.equal(ctx.stopTraining, false);
  await cb.onBatchEnd(1, { loss: Infinity });
  assert.equal(ctx.stopTraining, true);
  assert.match(ctx.logs[0], /Batch 1: Invalid loss/);
});
