/**
 * The real FER2013 file beside the project (../shared/data/fer2013.csv.gz): split and
 * class counts must match the table in its README. 48x48, no resize, so it stays fast.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Facial } from '../src/facial';
import { ROOT } from './helpers/paths';

const REAL = path.resolve(ROOT, '../shared/data/fer2013.csv.gz');

// From ../shared/data/README.md: Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral.
const TABLE = {
  train: [3995, 436, 4097, 7215, 4830, 3171, 4965],
  validation: [467, 56, 496, 895, 653, 415, 607],
  test: [491, 55, 528, 879, 594, 416, 626],
} as const;

test(
  'full FER2013: split and class counts match the dataset README',
  { skip: fs.existsSync(REAL) ? false : `${REAL} is absent` },
  async () => {
    await tf.setBackend('cpu');
    const f = await Facial.load({ csvPath: REAL });
    assert.equal(f.skipped.count, 0);
    for (const [split, counts] of Object.entries(TABLE) as [keyof typeof TABLE, readonly number[]][]) {
      assert.deepEqual(f.classCounts(split), [...counts], split);
    }
    assert.deepEqual([f.count('train'), f.count('validation'), f.count('test')], [28709, 3589, 3589]);
    assert.deepEqual(f.trainData!.shape, [28709, 48, 48, 1]);
    assert.deepEqual(f.testLabels!.shape, [3589, 7]);
    // PrivateTest is the end of the file: its last row is line 35,888 (header + 35,887 rows).
    assert.equal(f.raw('test')!.lines.at(-1), 35888);
    f.dispose();
  },
);
