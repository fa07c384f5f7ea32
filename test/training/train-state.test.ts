/**
 * Resume settings: a changed setting is refused naming its flag; states of the previous release
 * still check. An Adam state round-trips exactly, its running beta powers included.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { checkResumeSettings, loadTrainState, saveTrainState, TrainStateMeta } from '../../src/training/train-state';
import { makeOptimizer, runningScalars } from '../../src/training/optimizers';
import { makeTrainStep } from '../../src/training/step';
import { tinyData, tinyModel } from '../helpers/tiny';

const meta = (settings: Record<string, string | number | null>) => ({ seed: 7, settings }) as unknown as TrainStateMeta;

test('a resume that changes a recorded setting is refused, naming the flag and both values', () => {
  const m = meta({ image_size: 32, augment: 'shift-flip' });
  assert.doesNotThrow(() => checkResumeSettings('p_state', m, { image_size: 32, augment: undefined, seed: 7 }));
  assert.throws(
    () => checkResumeSettings('p_state', m, { image_size: 48 }),
    /^Error: --image_size 48 differs from the run in p_state, which has --image_size 32: resume with the run's --image_size 32, or start/,
  );
  assert.throws(() => checkResumeSettings('p_state', m, { seed: 8 }), /--seed 8 differs .* or without --seed/);
});

test("a state written when the flag was --size is checked against today's --image_size", () => {
  const old = meta({ size: 32 });
  assert.doesNotThrow(() => checkResumeSettings('p_state', old, { image_size: 32 }));
  assert.throws(() => checkResumeSettings('p_state', old, { image_size: 48 }), /--image_size 48 differs .* which has --image_size 32/);
});

test("a folder whose classes changed is refused naming the folder's classes, not a flag", () => {
  assert.throws(
    () => checkResumeSettings('p_state', meta({ classes: 'a,b' }), { classes: 'a,b,c' }),
    /^Error: the data folder's classes \(a,b,c\) differ from the run in p_state, which has a,b: resume on the run's folder/,
  );
});

test('an Adam state saved and loaded takes the next step exactly as the optimizer it came from (its running beta powers carried, not rebuilt)', async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(12, 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-state-'));
  const [a, b] = [tinyModel(3), tinyModel(3)];
  const [optA, optB] = [makeOptimizer('adam', 0.01), makeOptimizer('adam', 0.01)];
  const stepA = makeTrainStep(a, optA);
  // 8 steps: accBeta1 is then a product of 9 float32 factors, which pow(0.9, 9) misses by one bit.
  for (let i = 0; i < 8; i++) await stepA(xs, ys);
  const scalars = await runningScalars(optA);
  assert.deepEqual(Object.keys(scalars), ['accBeta1', 'accBeta2']);
  assert.ok(Math.abs(scalars.accBeta1 - 0.9 ** 9) < 1e-6, `accBeta1 ${scalars.accBeta1}`);
  await saveTrainState(path.join(dir, 's'), a, optA, {
    nextEpoch: 1,
    nextBatch: 0,
    step: 8,
    elapsedMs: 0,
    seq: 1,
    learningRate: 0.01,
    seed: 1,
    history: {},
    callbacks: [],
    epochSums: { loss: 0, acc: 0, seen: 0 },
  } as never);
  await loadTrainState(path.join(dir, 's'), b, optB);
  assert.deepEqual(await runningScalars(optB), scalars);
  await stepA(xs, ys);
  await makeTrainStep(b, optB)(xs, ys);
  const [wa, wb] = [a, b].map((m) => m.getWeights().map((w) => Array.from(w.dataSync())));
  assert.deepEqual(wb, wa);
  fs.rmSync(dir, { recursive: true, force: true });
  tf.dispose([xs, ys, optA, optB]);
  a.dispose();
  b.dispose();
});
