/**
 * Facial on the embedded 322-row sample (7 classes x 30 Training, 8 PublicTest,
 * 8 PrivateTest): shapes, normalisation, one-hot labels, resize = prepareFace exactly,
 * batch() = the rows of the full tensors (full and compact mode), sync = streaming,
 * the wasm size check, and no leaked tensors.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Facial, SAMPLE_CSV_PATH } from '../src/facial';
import { selectBackend } from '../src/engine/select';
import { prepareFace } from '../src/data/resize';
import { PARALLEL_FILL } from '../src/data/parallel-fill';

const csvPath = SAMPLE_CSV_PATH;

test('sample: splits, class counts, shapes, range and one-hot labels at 48x48 (no stretch)', async () => {
  await tf.setBackend('cpu');
  const f = new Facial({ csvPath });
  assert.equal(f.size, 48);
  assert.equal(f.stretch, false);
  assert.deepEqual([f.count('train'), f.count('validation'), f.count('test')], [210, 56, 56]);
  assert.deepEqual(f.classCounts('train'), [30, 30, 30, 30, 30, 30, 30]);
  assert.deepEqual(f.classCounts('test'), [8, 8, 8, 8, 8, 8, 8]);
  assert.deepEqual(f.trainData!.shape, [210, 48, 48, 1]);
  assert.deepEqual(f.validationLabels!.shape, [56, 7]);
  assert.equal(f.trainData!.dtype, 'float32');
  // Without resize there is no stretch: value = pixel / 255 - 0.5 for every pixel.
  const raw = f.raw('validation')!;
  const data = f.validationData!.dataSync();
  for (let i = 0; i < raw.pixels.length; i += 97) assert.equal(data[i], Math.fround(raw.pixels[i] / 255 - 0.5));
  // One-hot rows whose argmax is the class id.
  const ys = f.testLabels!.arraySync();
  ys.forEach((row, i) => {
    assert.equal(
      row.reduce((a, b) => a + b, 0),
      1,
    );
    assert.equal(row.indexOf(1), f.labels('test')[i]);
  });
  assert.ok(
    raw.lines.every((l, i) => i === 0 || l > raw.lines[i - 1]),
    'line numbers ascend',
  );
  f.dispose();
  assert.equal(f.trainData, null);
});

test('resize 20 equals bytescale + PIL bilinear per image; stretch:false skips the bytescale', async () => {
  await tf.setBackend('cpu');
  const f = new Facial({ csvPath, resize: 20, splits: ['test'] });
  assert.equal(f.stretch, true);
  assert.equal(f.trainData, null);
  assert.deepEqual(f.testData!.shape, [56, 20, 20, 1]);
  const raw = f.raw('test')!;
  const data = f.testData!.dataSync();
  for (const i of [0, 17, 55]) {
    const expected = prepareFace(raw.pixels.subarray(i * 2304, (i + 1) * 2304), 48, 48, 20, true);
    for (let p = 0; p < 400; p++) assert.equal(data[i * 400 + p], Math.fround(expected[p] / 255 - 0.5));
  }
  // resize 48 keeps the size, so each image is just bytescaled: it spans exactly -0.5..0.5.
  const s48 = new Facial({ csvPath, resize: 48, splits: ['test'], limit: 4 });
  const d48 = s48.testData!.dataSync();
  for (let i = 0; i < 4; i++) {
    const img = d48.subarray(i * 2304, (i + 1) * 2304);
    assert.deepEqual([Math.min(...img), Math.max(...img)], [-0.5, 0.5]);
  }
  s48.dispose();
  const g = new Facial({ csvPath, resize: 20, stretch: false, splits: ['test'], limit: 3 });
  const plain = prepareFace(raw.pixels.subarray(0, 2304), 48, 48, 20, false);
  assert.deepEqual(
    [...g.testData!.dataSync().subarray(0, 400)],
    [...plain].map((v) => Math.fround(v / 255 - 0.5)),
  );
  f.dispose();
  g.dispose();
});

test('batch() equals the matching rows of the full tensors, in full and compact mode, without leaks', async () => {
  await tf.setBackend('cpu');
  const full = new Facial({ csvPath, resize: 30, splits: ['validation'] });
  const compact = new Facial({ csvPath, resize: 30, splits: ['validation'], compact: true });
  assert.equal(compact.validationData, null);
  assert.equal(compact.count('validation'), 56);
  const idx = [55, 0, 7, 7, 31];
  assert.ok(full.validationData && full.validationLabels); // built on first read: before counting
  const before = tf.memory().numTensors;
  for (const f of [full, compact]) {
    const { xs, ys } = f.batch('validation', idx);
    const want = tf.tidy(() => tf.gather(full.validationData!, idx));
    const wantY = tf.tidy(() => tf.gather(full.validationLabels!, idx));
    assert.deepEqual(xs.shape, [5, 30, 30, 1]);
    assert.deepEqual(xs.dataSync(), want.dataSync());
    assert.deepEqual(ys.dataSync(), wantY.dataSync());
    tf.dispose([xs, ys, want, wantY]);
  }
  assert.equal(tf.memory().numTensors, before, 'batch leaves no tensors behind');
  assert.throws(() => full.batch('validation', [56]), /index 56 is outside 0\.\.55/);
  assert.throws(() => full.batch('train', [0]), /split 'train' was not loaded/);
  full.dispose();
  compact.dispose();
});

test('Facial.load (streaming) gives the same data as new Facial (sync); limit caps each split', async () => {
  await tf.setBackend('cpu');
  const a = new Facial({ csvPath, limit: 10 });
  const b = await Facial.load({ csvPath, limit: 10 });
  for (const s of ['train', 'validation', 'test'] as const) {
    assert.equal(a.count(s), 10);
    assert.deepEqual(b.raw(s), a.raw(s));
  }
  assert.deepEqual(b.trainData!.dataSync(), a.trainData!.dataSync());
  a.dispose();
  b.dispose();
});

test('bad options are refused by name', () => {
  assert.throws(() => new Facial({ csvPath, resize: 0 }), /resize must be a positive integer/);
  assert.throws(() => new Facial({ csvPath, limit: -1 }), /limit must be an integer >= 0/);
  assert.throws(() => new Facial({ csvPath, splits: ['dev' as 'train'] }), /unknown split 'dev'/);
  assert.throws(() => new Facial({ csvPath: '/nonexistent/fer.csv' }), /\/nonexistent\/fer\.csv:1: no such file/);
});

test('on wasm, full tensors past the limit are refused before allocating, naming the bytes; compact works', async () => {
  // Through the library, as every command does: the wasm engine then declares its heap's limit.
  await selectBackend('wasm', { quiet: true });
  // 322 rows at 1300x1300 float32 = 322 * 1300 * 1300 * 4 = 2,176,720,000 bytes > 2 GiB.
  const rss = process.memoryUsage().rss;
  assert.throws(
    () => new Facial({ csvPath, resize: 1300 }),
    /need 2176720000 bytes \(2\.03 GiB\), more than the wasm(-threaded)? backend can hold.*compact: true/,
  );
  assert.ok(process.memoryUsage().rss - rss < 1e9, 'nothing of that size was allocated');
  const c = new Facial({ csvPath, resize: 1300, compact: true, limit: 1, splits: ['test'] });
  const { xs, ys } = c.batch('test', [0]);
  assert.deepEqual(xs.shape, [1, 1300, 1300, 1]);
  tf.dispose([xs, ys]);
  await tf.setBackend('cpu');
});

test('the multi-threaded fill (used for big tensors) gives exactly the single-threaded result', async () => {
  await tf.setBackend('cpu');
  const single = new Facial({ csvPath, resize: 30, splits: ['train'] });
  const saved = { ...PARALLEL_FILL };
  Object.assign(PARALLEL_FILL, { minFloats: 0, threads: 3 });
  try {
    const multi = new Facial({ csvPath, resize: 30, splits: ['train'] });
    assert.ok(multi.trainData!.dataSync().buffer instanceof SharedArrayBuffer, 'took the threaded path');
    assert.deepEqual(multi.trainData!.dataSync(), single.trainData!.dataSync());
    multi.dispose();
  } finally {
    Object.assign(PARALLEL_FILL, saved);
  }
  single.dispose();
});

test('skipBadRows: Facial keeps the good rows and exposes what it skipped', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-skip-'));
  try {
    const px = (v: number) => new Array(2304).fill(v).join(' ');
    const file = path.join(dir, 'skip.csv');
    fs.writeFileSync(file, `emotion,pixels,Usage\n2,${px(10)},Training\n8,${px(20)},Training\n4,${px(30)},PrivateTest\n`);
    assert.throws(() => new Facial({ csvPath: file }), new RegExp(`${file}:3: emotion '8'`));
    const f = await Facial.load({ csvPath: file, skipBadRows: true });
    assert.deepEqual([f.count('train'), f.count('test')], [1, 1]);
    assert.deepEqual(f.skipped.byReason, { 'bad label': 1 });
    assert.deepEqual(f.trainLabels!.arraySync(), [[0, 0, 1, 0, 0, 0, 0]]);
    f.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
