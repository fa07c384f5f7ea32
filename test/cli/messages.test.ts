/** Clear errors from the command line for the inputs the audit found answered with a system message or not at all. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '../../src/io/model-io';
import { tinyModel } from '../helpers/tiny';
import { runCli } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msg-'));
const run = (...args: string[]) => runCli(args, { cwd: dir });

test('bad flags of preprocess and predict are refused before any work', () => {
  let r = run('preprocess', '--backend', 'nope', '--out', path.join(dir, 'o'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--backend: unknown backend 'nope'/);
  r = run('preprocess', '--limit', '0', '--out', path.join(dir, 'o'));
  assert.match(r.stderr, /--limit must be .*got '0'/);
  fs.writeFileSync(path.join(dir, 'small.csv'), 'x');
  r = run('preprocess', '--out', 'small.csv');
  assert.match(r.stderr, /--out: small\.csv is a file, not a folder/);
  r = run('predict', 'x.png', '--model', 'nope');
  assert.match(r.stderr, /--model must be resnet50 or resnet50-anysize, got 'nope'/);
  r = run('report', '--out', 'small.csv/report');
  assert.match(r.stderr, /--out: cannot write into small\.csv\/report/);
  r = run('train', '--save_prefix', 'small.csv/p', '--epochs', '1');
  assert.match(r.stderr, /--save_prefix small\.csv\/p: .*small\.csv is a file, not a folder/);
});

test('verify on a CSV without PublicTest/PrivateTest rows says so instead of printing 0.00', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  await saveModel(model, path.join(dir, 'tiny'));
  model.dispose();
  const csv = path.join(dir, 'train-only.csv');
  // class 1: the tiny model has three classes
  fs.writeFileSync(csv, `emotion,pixels,Usage\n1,${Array.from({ length: 2304 }, (_, i) => i % 256).join(' ')},Training\n`);
  const r = run('verify', '--model_weights', 'tiny', '--data', 'train-only.csv', '--backend', 'cpu');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /has no Validation rows \(Usage PublicTest\); left out/);
  assert.match(r.stderr, /has no Testing rows \(Usage PrivateTest\); left out/);
  const rows = r.stdout.split('\n').filter((l) => l.startsWith('| '));
  assert.deepEqual(
    rows.slice(1).map((l) => l.split('|')[1].trim()),
    ['Training'],
  );
});
