/** The batch sources: Facial's splits as epochs of seeded batches, and augmentation on top of them. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Facial } from '../../src/facial';
import { fromFacial, isArrayBatch, toBatch } from '../../src/data/data-source';
import { ImageDataGenerator } from '../../src/data/image-generator';

test('fromFacial: every train row once per epoch, seeded order, validation in file order from the validation split', async () => {
  await tf.setBackend('cpu');
  const facial = await Facial.load({ limit: 20 });
  const ids = async (split: 'train' | 'validation', seed: number, epoch: number, shuffle?: boolean) => {
    const out: number[] = [];
    for await (const item of fromFacial(facial, split, { batchSize: 6, seed, shuffle }).batches(epoch)) {
      assert.ok(isArrayBatch(item), 'a Facial split yields its images as a typed array');
      const { xs, ys } = toBatch(item);
      assert.deepEqual(xs.shape.slice(1), [48, 48, 1]);
      out.push(...ys.argMax(-1).dataSync());
      tf.dispose([xs, ys]);
    }
    return out;
  };
  const a = await ids('train', 1, 0);
  assert.equal(a.length, facial.count('train'));
  // Same multiset of labels as the split, in a seed-determined order.
  assert.deepEqual([...a].sort(), Array.from(facial.labels('train')).sort());
  assert.deepEqual(await ids('train', 1, 0), a);
  assert.notDeepEqual(await ids('train', 1, 1), a); // a new permutation each epoch
  assert.deepEqual(await ids('validation', 1, 0), Array.from(facial.labels('validation')));
  facial.dispose();
});

test('flowFromSource augments Facial batches deterministically per seed and keeps labels', async () => {
  await tf.setBackend('cpu');
  const facial = await Facial.load({ limit: 8, splits: ['train'] });
  const gen = new ImageDataGenerator({ widthShiftRange: 0.1, heightShiftRange: 0.1, horizontalFlip: true });
  const run = async (seed: number) => {
    const xs: number[] = [],
      ys: number[] = [];
    for await (const item of gen.flowFromSource(fromFacial(facial, 'train', { batchSize: 8, seed: 1 }), { seed }).batches(0)) {
      const b = toBatch(item);
      xs.push(...b.xs.dataSync());
      ys.push(...b.ys.dataSync());
      tf.dispose([b.xs, b.ys]);
    }
    return { xs, ys };
  };
  const a = await run(5),
    b = await run(5),
    c = await run(6);
  assert.deepEqual(a, b);
  assert.deepEqual(c.ys, a.ys);
  assert.notDeepEqual(c.xs, a.xs);
  facial.dispose();
});
