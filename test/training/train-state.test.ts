/** Resume settings: a changed setting is refused naming its flag; states of the previous release still check. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkResumeSettings, TrainStateMeta } from '../../src/training/train-state';

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
