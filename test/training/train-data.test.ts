import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Facial } from '../../src/facial';
import { fromFacial } from '../../src/data/data-source';
import { ImageDataGenerator } from '../../src/data/image-generator';
import { EpochProgress } from '../../src/training/progress';

test('fromFacial: every train row once per epoch, seeded order, validation in file order from the validation split', async () => {
  await tf.setBackend('cpu');
  const facial = await Facial.load({ limit: 20 });
  const ids = async (split: 'train' | 'validation', seed: number, epoch: number, shuffle?: boolean) => {
    const out: number[] = [];
    for await (const { xs, ys } of fromFacial(facial, split, { batchSize: 6, seed, shuffle }).batches(epoch)) {
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
    for await (const b of gen.flowFromSource(fromFacial(facial, 'train', { batchSize: 8, seed: 1 }), { seed }).batches(0)) {
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

test('EpochProgress prints one summary line per epoch when not on a terminal', () => {
  let out = '';
  const stream = {
    isTTY: false,
    write: (s: string) => {
      out += s;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  const p = new EpochProgress(3, { stream });
  p.start(1, 4);
  p.update(0, 10, 1.5, 0.25);
  p.end(1, { loss: 1.23456, acc: 0.5, val_loss: 2, val_acc: 0.25, lr: 0.001 });
  assert.match(out, /^Epoch 2\/3 [\d.]+s [\d.]+ img\/s - loss 1\.2346 acc 0\.5000 val_loss 2\.0000 val_acc 0\.2500 lr 0\.00100\n$/);
});

test('EpochProgress without a terminal writes a line every intervalMs: batch/total, loss, acc, images/s and ETA', () => {
  let out = '';
  let now = 0;
  const stream = {
    isTTY: false,
    write: (s: string) => {
      out += s;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  const p = new EpochProgress(Infinity, { stream, intervalMs: 30_000, now: () => now });
  p.start(0, 100, 10); // resumed at batch 10
  now = 20_000;
  p.update(10, 32, 2, 0.25); // 20 s: too soon for a line
  assert.equal(out, '');
  now = 40_000;
  p.update(19, 32 * 9, 1.5, 0.3); // 10 batches, 320 images in 40 s
  assert.equal(out, 'Epoch 1 batch 20/100 | loss 1.5000 | acc 0.3000 | 8.0 img/s | ETA 5m20s\n');
  now = 50_000;
  p.update(20, 32, 1.4, 0.3);
  assert.equal(out.split('\n').length, 2, 'no second line within 30 s');
});
