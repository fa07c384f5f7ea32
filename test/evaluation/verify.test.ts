/**
 * evaluateModel scores in batches but must give exactly the report of the model's own
 * argmax predictions over the whole split; the seed's table is formatted as its README.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { ROOT } from '../helpers/paths';
import { Facial } from '../../src/facial';
import { saveModel } from '../../src/io/model-io';
import { loadTrainedModel } from '../../src/io/trained-model';
import { resnet50AnySize } from '../../src/resnet50-anysize';
import { saveKerasWeights } from '../../src/io/keras-h5';
import { runVerify } from '../../src/cli/verify';
import { evaluateModel, EvaluationData, formatSeedTable, resultsToJson } from '../../src/evaluation/verify';
import { classificationReport } from '../../src/metrics';
import type { SplitName } from '../../src/facial';
import { tinyClassifier } from '../helpers/tiny';

const SIDE = 12;

function tinyModel(): tf.LayersModel {
  return tinyClassifier(SIDE, { filters: 3, kernelSize: 3, strides: 2, seed: 3 });
}

/** A data source of the Facial shape over fixed pseudo-random images, counting live batches. */
function fakeData(counts: Record<SplitName, number>) {
  const images: Record<string, Float32Array> = {};
  const labels: Record<string, Uint8Array> = {};
  let state = 12345;
  const rand = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const [split, n] of Object.entries(counts)) {
    images[split] = Float32Array.from({ length: n * SIDE * SIDE }, () => rand() - 0.5);
    labels[split] = Uint8Array.from({ length: n }, () => Math.floor(rand() * 7));
  }
  const calls: number[] = [];
  const data: EvaluationData = {
    count: (split) => counts[split],
    labels: (split) => labels[split],
    batch: (split, indices) => {
      calls.push(indices.length);
      const idx = Array.from(indices);
      const xs = tf.tensor4d(
        idx.flatMap((i) => Array.from(images[split].subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE))),
        [idx.length, SIDE, SIDE, 1],
      );
      const ys = tf.tidy(
        () =>
          tf.oneHot(
            tf.tensor1d(
              idx.map((i) => labels[split][i]),
              'int32',
            ),
            7,
          ) as tf.Tensor2D,
      );
      return { xs, ys };
    },
  };
  return { data, images, labels, calls };
}

test("batched evaluation equals classificationReport of the model's own argmax over the whole split", async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  const counts = { train: 23, validation: 9, test: 11 };
  const { data, images, labels, calls } = fakeData(counts);
  const before = tf.memory().numTensors;
  const results = await evaluateModel(model, data, ['train', 'validation', 'test'], { batchSize: 5 });
  assert.equal(tf.memory().numTensors, before, 'evaluateModel leaked tensors');
  assert.deepEqual(calls, [5, 5, 5, 5, 3, 5, 4, 5, 5, 1]);
  for (const split of ['train', 'validation', 'test'] as const) {
    const whole = tf.tidy(
      () => (model.predict(tf.tensor4d(images[split], [counts[split], SIDE, SIDE, 1])) as tf.Tensor2D).argMax(1).arraySync() as number[],
    );
    const expected = classificationReport(Array.from(labels[split]), whole);
    const got = results[split]!;
    assert.deepEqual(Array.from(got.yPred), whole);
    for (const key of ['accuracy', 'precision', 'recall', 'f1'] as const) assert.equal(got[key], expected[key], `${split} ${key}`);
    assert.deepEqual(got.confusion, expected.confusion);
    assert.equal(got.support, counts[split]);
  }
  // The table carries exactly those numbers, in percent with two decimals.
  const table = formatSeedTable(results);
  const rows = table.trim().split('\n');
  assert.equal(rows.length, 5);
  for (const [row, split] of [
    [2, 'train'],
    [3, 'validation'],
    [4, 'test'],
  ] as const) {
    const cells = rows[row]
      .split('|')
      .map((c) => c.trim())
      .filter(Boolean);
    const r = results[split]!;
    assert.deepEqual(
      cells.slice(1),
      [r.accuracy, r.precision, r.recall, r.f1].map((v) => (100 * v).toFixed(2)),
    );
  }
  model.dispose();
});

test('formatSeedTable prints the seed README table', () => {
  // The seed's published numbers, as fractions, must print back as its README shows them.
  const mk = (accuracy: number, precision: number, recall: number, f1: number) => ({
    ...classificationReport([0], [0]),
    accuracy,
    precision,
    recall,
    f1,
  });
  const table = formatSeedTable({
    train: mk(0.9704, 0.8302, 0.8437, 0.8366),
    validation: mk(0.6439, 0.5393, 0.5462, 0.5406),
    test: mk(0.6453, 0.542, 0.5459, 0.5416),
  });
  assert.equal(
    table,
    [
      '|            | Accuracy | Precision | Recall | F1    |',
      '|------------|----------|-----------|--------|-------|',
      '| Training   | 97.04    | 83.02     | 84.37  | 83.66 |',
      '| Validation | 64.39    | 53.93     | 54.62  | 54.06 |',
      '| Testing    | 64.53    | 54.20     | 54.59  | 54.16 |',
      '',
    ].join('\n'),
  );
});

test('resultsToJson: seed row names, percent, confusion counts', () => {
  const r = classificationReport([0, 1, 1, 2], [0, 1, 2, 2], 7);
  const json = resultsToJson({ test: r });
  assert.deepEqual(Object.keys(json), ['Testing']);
  assert.equal(json.Testing.accuracy, 75);
  // macro over 7 labels: precision (1 + 1 + 0.5) / 7, as sklearn with labels=range(7)
  assert.equal(json.Testing.precision, Math.round((2.5 / 7) * 1e6) / 1e4);
  assert.deepEqual(json.Testing.confusion[1], [0, 1, 1, 0, 0, 0, 0]);
});

/** A tiny FER2013 CSV: `counts` rows per Usage, pseudo-random faces with an uneven grey range. */
function writeTinyCsv(file: string, counts: Record<string, number>): void {
  let state = 7;
  const rand = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines = ['emotion,pixels,Usage'];
  for (const [usage, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      const lo = Math.floor(rand() * 60),
        span = 80 + Math.floor(rand() * 100);
      const px = Array.from({ length: 48 * 48 }, () => lo + Math.floor(rand() * span));
      lines.push(`${Math.floor(rand() * 7)},${px.join(' ')},${usage}`);
    }
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

test('verify CLI path: a saved 32x32 model is scored on bytescaled, resized data exactly as the full Facial tensors give', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-verify-'));
  try {
    const csv = path.join(dir, 'tiny.csv');
    writeTinyCsv(csv, { Training: 9, PublicTest: 5, PrivateTest: 6 });
    const model = tinyClassifier(32, { filters: 4, kernelSize: 5, strides: 3, seed: 5 });
    await saveModel(model, path.join(dir, 'model'));
    const before = tf.memory().numTensors;
    const { trained, facial, results } = await runVerify({ model_weights: path.join(dir, 'model'), data: csv, batch_size: 4, limit: 8 });
    assert.equal(trained.imageSize, 32);
    assert.ok(facial.stretch, 'a model trained at a resized size gets bytescaled data, as FACIAL(resize=...)');
    // Reference: the full (non-compact) tensors of the same data, predicted in one go.
    const full = new Facial({ csvPath: csv, resize: 32, limit: 8 });
    for (const [split, data, labels, n] of [
      ['train', full.trainData, full.trainLabels, 8],
      ['validation', full.validationData, full.validationLabels, 5],
      ['test', full.testData, full.testLabels, 6],
    ] as const) {
      const pred = tf.tidy(() => (model.predict(data!) as tf.Tensor2D).argMax(1).arraySync() as number[]);
      const truth = tf.tidy(() => labels!.argMax(1).arraySync() as number[]);
      const expected = classificationReport(truth, pred);
      const got = results[split]!;
      assert.equal(got.support, n);
      assert.deepEqual(Array.from(got.yPred), pred, split);
      assert.deepEqual(got.confusion, expected.confusion, split);
      assert.equal(got.f1, expected.f1);
    }
    full.dispose();
    facial.dispose();
    trained.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'runVerify leaked tensors');
    await assert.rejects(loadTrainedModel(path.join(dir, 'model'), { imageSize: 48 }), /--image_size 48 does not match .* 32x32/);
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('facial verify --tta flip: the seed table first as without it, then the flip table; --json adds `flip`', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-verify-tta-'));
  try {
    const csv = path.join(dir, 'tiny.csv');
    writeTinyCsv(csv, { Training: 0, PublicTest: 7, PrivateTest: 9 });
    const model = tinyClassifier(48, { filters: 2, kernelSize: 5, strides: 4, seed: 8 });
    await saveModel(model, path.join(dir, 'model'));
    const facial = new Facial({ csvPath: csv, compact: true });
    const [none, flip] = [
      await evaluateModel(model, facial, ['validation', 'test']),
      await evaluateModel(model, facial, ['validation', 'test'], { tta: 'flip' }),
    ];
    facial.dispose();
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [
          '-r',
          'ts-node/register/transpile-only',
          path.join(ROOT, 'src', 'cli', 'main.ts'),
          'verify',
          '--model_weights',
          path.join(dir, 'model'),
          '--data',
          csv,
          '--splits',
          'validation,test',
          '--backend',
          'cpu',
          ...args,
        ],
        { encoding: 'utf8' },
      );
    const plainText = cli();
    const text = cli('--tta', 'flip');
    assert.equal(text.status, 0, text.stderr);
    assert.equal(plainText.stdout, formatSeedTable(none));
    assert.equal(
      text.stdout,
      `${formatSeedTable(none)}\nWith flip averaging (--tta flip: each face and its mirror):\n\n${formatSeedTable(flip)}`,
    );
    const json = JSON.parse(cli('--tta', 'flip', '--json').stdout) as Record<string, unknown>;
    assert.deepEqual(json, { ...resultsToJson(none), flip: resultsToJson(flip) });
    const bad = cli('--tta', 'rotate');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--tta must be none or flip, got 'rotate'/);
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('loadTrainedModel rebuilds the architecture for a Keras .h5 and loads its weights', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-h5-'));
  try {
    const original = resnet50AnySize({ inputShape: [32, 32, 1], classes: 7, seed: 11 });
    const h5 = path.join(dir, 'weights.h5');
    await saveKerasWeights(original, h5);
    const { model, imageSize, format } = await loadTrainedModel(h5, { imageSize: 32 }); // 32 != 200: raghakot's model
    assert.deepEqual([imageSize, format, model.layers.length], [32, 'keras-h5', original.layers.length]);
    const x = tf.randomUniform([1, 32, 32, 1], -0.5, 0.5, 'float32', 3);
    const [a, b] = [original.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor];
    assert.ok((tf.max(tf.abs(tf.sub(a, b))).arraySync() as number) < 1e-6, 'same weights, same output');
    tf.dispose([x, a, b]);
    await assert.rejects(loadTrainedModel(path.join(dir, 'missing.h5')), /missing\.h5: no such model file/);
    original.dispose();
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
