/** facial predict's tables: aligned columns, the model's class names, 'emotion' only for FER2013's seven. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatPredictions } from '../../src/cli/predict';
import { EMOTIONS } from '../../src/data/emotions';

test("the table heads the top class 'emotion' for FER2013's classes and 'class' for a folder's own", () => {
  const one = (emotion: string, probabilities: number[]) => ({ ok: true as const, source: 'a.png', label: 0, emotion, probabilities });
  const fer = formatPredictions([one('Happy', [0, 0, 0, 0.9, 0.05, 0.05, 0])], EMOTIONS).split('\n');
  assert.equal(fer[0], 'file   emotion  Angry  Disgust  Fear  Happy   Sad  Surprise  Neutral');
  assert.equal(fer[1], 'a.png  Happy     0.00     0.00  0.00  90.00  5.00      5.00     0.00');
  const own = formatPredictions([one('confused', [0.25, 0.25, 0.5])], ['Happy', 'Sad', 'confused']).split('\n');
  assert.equal(own[0], 'file   class     Happy    Sad  confused');
  assert.equal(own[1], 'a.png  confused  25.00  25.00     50.00');
});
