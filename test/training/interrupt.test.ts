/**
 * Ctrl-C during training (issue 18, item 7): the first SIGINT finishes the batch in progress,
 * writes the resume state and exits 130 saying where it is; a second exits at once. The tiny
 * training of the kill-loop test, paused after each batch so the signal lands mid-run.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { readTrainStateMeta } from '../../src/training/train-state';
import { FIXTURES } from '../helpers/paths';

const fixture = path.join(FIXTURES, 'kill-train.ts');

/** Runs the fixture; `signals` SIGINTs are sent `gapMs` apart once it prints its first batch. */
function interrupted(prefix: string, signals: number, gapMs: number, sleepMs: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; msAfterSignal: number }>((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', fixture, prefix], {
      env: { ...process.env, FACIAL_TEST_BATCH_SLEEP_MS: String(sleepMs) },
    });
    let stdout = '',
      stderr = '',
      sentAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!sentAt && stdout.includes('batch 0 0')) {
        sentAt = Date.now();
        for (let i = 0; i < signals; i++) setTimeout(() => child.kill('SIGINT'), i * gapMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr, msAfterSignal: Date.now() - sentAt }));
  });
}

test('Ctrl-C finishes the batch, writes the state at the next batch and exits 130 saying where', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigint-'));
  const prefix = path.join(dir, 'p');
  const r = await interrupted(prefix, 1, 0, 1500);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted: finishing the batch in progress/);
  assert.match(
    r.stderr,
    new RegExp(`interrupted after batch 1 of epoch 1: the resume state is in ${prefix}_state; continue with --resume`),
  );
  assert.doesNotMatch(r.stdout, /batch 0 1/, 'no batch after the interrupted one');
  // Batch 0 of epoch 0 done: the state says batch 1 comes next, one optimizer step taken.
  const meta = readTrainStateMeta(`${prefix}_state`);
  assert.deepEqual([meta.nextEpoch, meta.nextBatch, meta.step, meta.epochSums.seen], [0, 1, 1, 8]);
});

test('a second Ctrl-C exits at once, without waiting for the batch or writing a state', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigint2-'));
  const prefix = path.join(dir, 'p');
  const r = await interrupted(prefix, 2, 200, 20_000);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted again: stopping at once/);
  assert.ok(r.msAfterSignal < 10_000, `exited ${r.msAfterSignal} ms after the first signal, while the batch waits 20 s`);
  assert.equal(fs.existsSync(`${prefix}_state`), false);
});
