/** EpochProgress: what a training prints, on a terminal or into a log. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EpochProgress } from '../../src/training/progress';

/** A stream that is not a terminal (a log file, a pipe), collecting what is written. */
function logStream(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const stream = {
    isTTY: false,
    write: (s: string) => {
      out += s;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

test('EpochProgress prints one summary line per epoch when not on a terminal', () => {
  const { stream, text } = logStream();
  const p = new EpochProgress(3, { stream });
  p.start(1, 4);
  p.update(0, 10, 1.5, 0.25);
  p.end(1, { loss: 1.23456, acc: 0.5, val_loss: 2, val_acc: 0.25, lr: 0.001 });
  assert.match(text(), /^Epoch 2\/3 [\d.]+s [\d.]+ img\/s - loss 1\.2346 acc 0\.5000 val_loss 2\.0000 val_acc 0\.2500 lr 0\.00100\n$/);
});

test('EpochProgress without a terminal writes a line every intervalMs: batch/total, loss, acc, images/s and ETA', () => {
  const { stream, text } = logStream();
  let now = 0;
  const p = new EpochProgress(Infinity, { stream, intervalMs: 30_000, now: () => now });
  p.start(0, 100, 10); // resumed at batch 10
  now = 20_000;
  p.update(10, 32, 2, 0.25); // 20 s: too soon for a line
  assert.equal(text(), '');
  now = 40_000;
  p.update(19, 32 * 9, 1.5, 0.3); // 10 batches, 320 images in 40 s
  assert.equal(text(), 'Epoch 1 batch 20/100 | loss 1.5000 | acc 0.3000 | 8.0 img/s | ETA 5m20s\n');
  now = 50_000;
  p.update(20, 32, 1.4, 0.3);
  assert.equal(text().split('\n').length, 2, 'no second line within 30 s');
});
