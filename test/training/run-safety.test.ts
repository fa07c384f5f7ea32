/**
 * What a run does with the state and files a previous run left under its prefix (issue 18):
 * a fresh run over a state (item 5), a resume of a finished run (item 8), settings and seed
 * that differ on resume (items 3 and 4, library level), a warm-up as long as the run (item 9),
 * the state's weights removed when the run finishes (item 13), and the prefix lock (item 6).
 * Tiny model, cpu backend.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { trainResnet50 } from '../../src/train';
import type { TrainOptions } from '../../src/training/options';
import { CSVLogger } from '../../src/training/callbacks';
import { CosineDecay } from '../../src/training/schedules';
import { fromTensors } from '../../src/data/data-source';
import { findTrainState, readTrainStateMeta } from '../../src/training/train-state';
import { lockPrefix } from '../../src/files/lock';
import { tinyData, tinyModel } from '../helpers/tiny';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'runs-'));
const data = tinyData(16, 1); // 2 batches of 8 an epoch
const source = () => fromTensors(data.xs, data.ys, { batchSize: 8, seed: 3 });

/** One tiny training under `prefix`, logging to P_log.csv; resolves to the result or the error. */
async function run(prefix: string, opts: TrainOptions = {}) {
  const lines: string[] = [];
  const logSpy = process.stdout.write;
  process.stdout.write = ((m: string) => (lines.push(String(m)), true)) as typeof process.stdout.write;
  try {
    const r = await trainResnet50(source(), {
      model: tinyModel(1),
      optimizer: 'adam',
      epochs: 1,
      seed: 3,
      verbose: 1,
      savePrefix: prefix,
      validationData: null,
      callbacks: [new CSVLogger(`${prefix}_log.csv`, { append: !!opts.resume })],
      ...opts,
    });
    const weights = r.model.getWeights().map((t) => Array.from(t.dataSync()));
    r.model.dispose();
    return { result: r, weights, out: lines.join('') };
  } catch (err) {
    return { error: err as Error, out: lines.join('') };
  } finally {
    process.stdout.write = logSpy;
  }
}
const snapshot = (dir: string) =>
  Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const f = path.join(e.parentPath, e.name);
        return [path.relative(dir, f), `${fs.statSync(f).mtimeMs}:${fs.readFileSync(f).toString('base64')}`];
      }),
  );

test.before(() => tf.setBackend('cpu'));

test('a finished run keeps only state.json (steps, time, seed: what ship-model reads); --keep_state keeps the weights too', async () => {
  const dir = tmp();
  const done = await run(path.join(dir, 'p'), { epochs: 2 });
  assert.equal(done.error, undefined);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'p_state')), ['state.json']);
  const meta = readTrainStateMeta(path.join(dir, 'p_state'));
  assert.deepEqual([meta.finished, meta.weightsRemoved, meta.nextEpoch, meta.step, meta.seed], [true, true, 2, 4, 3]);
  assert.ok(meta.elapsedMs > 0);
  const kept = await run(path.join(dir, 'k'), { epochs: 2, keepState: true });
  assert.equal(kept.error, undefined);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'k_state')).sort(), ['state.json', 'weights.bin']);
  // A kept state can be extended: two more epochs continue from step 4.
  const more = await run(path.join(dir, 'k'), { epochs: 4, resume: true, keepState: true });
  assert.equal(more.result?.finished, undefined);
  assert.equal(readTrainStateMeta(path.join(dir, 'k_state')).step, 8);
});

test('--resume on a finished run says so and writes nothing; the result holds its final weights', async () => {
  const dir = tmp();
  const prefix = path.join(dir, 'p');
  const first = await run(prefix);
  const final = first.result!.history;
  const before = snapshot(dir);
  const again = await run(prefix, { resume: true });
  assert.equal(again.error, undefined);
  assert.equal(again.result!.finished, true);
  assert.match(
    again.out,
    new RegExp(`The run in ${prefix}_state is finished after epoch 1: nothing to do .*its model is ${prefix}_model\\.json`),
  );
  assert.doesNotMatch(again.out, /Resuming/);
  assert.deepEqual(again.result!.history.loss, final.loss);
  assert.deepEqual(again.weights, first.weights);
  assert.deepEqual(snapshot(dir), before);
});

test('a fresh run over a prefix holding a run is refused, log and state untouched; --force removes the state before the log', async () => {
  const dir = tmp();
  const prefix = path.join(dir, 'p');
  await run(prefix);
  const before = snapshot(dir);
  const fresh = await run(prefix);
  assert.match(
    fresh.error?.message ?? '',
    new RegExp(`${prefix}_state holds a run \\(finished after epoch 1\\): continue it with --resume, or start a new run with --force`),
  );
  assert.deepEqual(snapshot(dir), before);
  // --force, then killed before its first state: the old run's state must not survive beside an empty log.
  const crashed = await run(prefix, {
    force: true,
    callbacks: [
      new CSVLogger(`${prefix}_log.csv`),
      {
        onBatchEnd: () => {
          throw new Error('killed');
        },
      },
    ],
  });
  assert.match(crashed.error?.message ?? '', /killed/);
  assert.equal(findTrainState(`${prefix}_state`), null);
});

test('a resume with another seed or setting is refused naming both; a state without recorded settings still resumes', async () => {
  const dir = tmp();
  const prefix = path.join(dir, 'p');
  const crash = {
    onBatchEnd: (b: number) => {
      if (b === 1) throw new Error('killed');
    },
  };
  const settings = { batch_size: 8, augment: 'none' };
  await run(prefix, { epochs: 2, runSettings: settings, checkpointEvery: { batches: 1 }, callbacks: [crash] });
  assert.deepEqual(readTrainStateMeta(findTrainState(`${prefix}_state`)!).settings, settings);
  const seed = await run(prefix, { epochs: 2, resume: true, seed: 4, runSettings: settings });
  assert.match(
    seed.error?.message ?? '',
    /--seed 4 differs from the run in .*p_state, which has --seed 3: resume with the run's --seed 3 or without --seed/,
  );
  const batch = await run(prefix, { epochs: 2, resume: true, runSettings: { ...settings, batch_size: 4 } });
  assert.match(batch.error?.message ?? '', /--batch_size 4 differs from the run in .*p_state, which has --batch_size 8/);
  // A state of the previous version has no settings: unknown, so not checked.
  const file = path.join(findTrainState(`${prefix}_state`)!, 'state.json');
  const { settings: _dropped, ...legacy } = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify(legacy));
  const resumed = await run(prefix, { epochs: 2, resume: true, runSettings: { ...settings, augment: 'shift-flip' } });
  assert.equal(resumed.error, undefined);
  assert.match(resumed.out, /Resuming from .* at epoch 1, batch 2/);
});

test('a warm-up not shorter than the planned steps is refused, naming the flag and the steps', async () => {
  const dir = tmp();
  const r = await run(path.join(dir, 'p'), {
    epochs: 2,
    learningRateSchedule: new CosineDecay({ initialLearningRate: 0, warmupTarget: 0.01, warmupSteps: 4 }),
  });
  assert.match(
    r.error?.message ?? '',
    /--warmup 4 \(warmupSteps\) is not shorter than the run's 4 planned steps \(2 epochs of 2 batches\)/,
  );
  assert.equal(fs.existsSync(path.join(dir, 'p_log.csv')), false, 'refused before anything is written');
  const ok = await run(path.join(dir, 'q'), {
    epochs: 2,
    learningRateSchedule: new CosineDecay({ initialLearningRate: 0, warmupTarget: 0.01, warmupSteps: 3 }),
  });
  assert.equal(ok.error, undefined);
});

test('the prefix lock: a live holder is named and refused, a dead one is taken over, the lock goes with the run', async () => {
  const dir = tmp();
  const prefix = path.join(dir, 'p');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    fs.writeFileSync(`${prefix}.lock`, `${child.pid}\n`);
    const r = await run(prefix);
    assert.match(r.error?.message ?? '', new RegExp(`another training \\(process ${child.pid}\\) is writing under ${prefix}`));
    assert.equal(fs.existsSync(`${prefix}_log.csv`), false, 'the refused run wrote nothing');
  } finally {
    child.kill();
  }
  await new Promise((r) => child.on('close', r));
  const taken = await run(prefix); // the holder is gone: its lock is stale
  assert.equal(taken.error, undefined);
  assert.equal(fs.existsSync(`${prefix}.lock`), false);
  const release = lockPrefix(prefix);
  assert.equal(fs.readFileSync(`${prefix}.lock`, 'utf8'), `${process.pid}\n`);
  release();
  assert.equal(fs.existsSync(`${prefix}.lock`), false);
});
