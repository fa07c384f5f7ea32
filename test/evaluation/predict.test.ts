/**
 * predict() against the same pipeline done by hand: decode, PIL luma, bytescale (when the
 * model is not 48x48), PIL bilinear to the model side, x/255 - 0.5, model.predict.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { predict } from '../../src/evaluation/predict';
import { decodeImage, encodeGrayPng, toGrayscale } from '../../src/data/image-io';
import { bytescale, resizeInto, ResampleFilter } from '../../src/data/resize';
import { EMOTIONS } from '../../src/data/emotions';
import { saveModel } from '../../src/io/model-io';
import { ROOT } from '../helpers/paths';
import { tinyClassifier } from '../helpers/tiny';

function tinyModel(side: number): tf.LayersModel {
  return tinyClassifier(side, { filters: 4, kernelSize: 3, activation: 'relu', seed: 1 });
}

/** Deterministic RGB pixels so every test run writes the same files. */
function pattern(w: number, h: number, seed: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const x = i % w,
      y = Math.floor(i / w);
    data[4 * i] = (x * 7 + y * 3 + seed * 11) % 256;
    data[4 * i + 1] = (x * y + seed * 29) % 256;
    data[4 * i + 2] = (255 - x * 5 + y) & 255;
    data[4 * i + 3] = 255;
  }
  return data;
}

function writeFixtures(dir: string): string[] {
  const colourPng = path.join(dir, 'colour-37x23.png');
  const png = new PNG({ width: 37, height: 23 });
  png.data = pattern(37, 23, 1);
  fs.writeFileSync(colourPng, PNG.sync.write(png));
  const greyPng = path.join(dir, 'grey-51x64.png');
  const grey = new Uint8Array(51 * 64).map((_, i) => (i * 13) % 251);
  fs.writeFileSync(greyPng, encodeGrayPng(grey, 51, 64));
  const colourJpeg = path.join(dir, 'photo-90x61.jpg');
  fs.writeFileSync(colourJpeg, jpeg.encode({ data: pattern(90, 61, 3), width: 90, height: 61 }, 90).data);
  return [colourPng, greyPng, colourJpeg];
}

function manual(model: tf.LayersModel, files: string[], side: number, stretch: boolean, shrink: ResampleFilter = 'bilinear'): number[][] {
  return tf.tidy(() => {
    const xs = files.map((f) => {
      const img = decodeImage(fs.readFileSync(f));
      let gray = toGrayscale(img);
      if (stretch) gray = bytescale(gray);
      const resized = new Uint8Array(side * side);
      resizeInto(gray, img.width, img.height, resized, side, side, img.width > side || img.height > side ? shrink : 'bilinear');
      return Array.from(resized, (v) => v / 255 - 0.5);
    });
    return (model.predict(tf.tensor4d(xs.flat(), [files.length, side, side, 1])) as tf.Tensor2D).arraySync();
  });
}

test('predict equals decode + grayscale + stretch + PIL bilinear + normalise + model.predict', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-predict-'));
  try {
    const files = writeFixtures(dir);
    const side = 20;
    const model = tinyModel(side);
    const before = tf.memory().numTensors;
    for (const stretch of [true, false]) {
      const expected = manual(model, files, side, stretch);
      const results = await predict(model, files, { batchSize: 2, stretch });
      assert.equal(results.length, files.length);
      results.forEach((r, i) => {
        assert.ok(r.ok, `${files[i]} failed: ${!r.ok && r.error}`);
        assert.equal(r.source, files[i]);
        r.probabilities.forEach((p, c) =>
          assert.ok(Math.abs(p - expected[i][c]) < 1e-6, `${files[i]} class ${c}: ${p} vs ${expected[i][c]}`),
        );
        const top = expected[i].indexOf(Math.max(...expected[i]));
        assert.equal(r.label, top);
        assert.equal(r.emotion, EMOTIONS[top]);
      });
    }
    // A side other than 48 stretches by default, as FACIAL(resize=...) did for those models.
    const auto = await predict(model, files);
    const stretched = manual(model, files, side, true);
    const unstretched = manual(model, files, side, false);
    assert.ok(
      stretched.some((row, i) => Math.abs(row[0] - unstretched[i][0]) > 1e-6),
      'fixtures should be changed by bytescale',
    );
    auto.forEach((r, i) => assert.ok(r.ok && Math.abs(r.probabilities[0] - stretched[i][0]) < 1e-6));
    assert.equal(tf.memory().numTensors, before, 'predict leaked tensors');
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('at 48 a larger image is shrunk with Lanczos (InputPreparation.shrink) and a smaller one enlarged with bilinear; `shrink` overrides', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-predict-'));
  try {
    const files = writeFixtures(dir); // 37x23 (enlarged), 51x64 and 90x61 (shrunk)
    const model = tinyModel(48);
    const close = (a: number[], b: number[]) => a.every((p, c) => Math.abs(p - b[c]) < 1e-6);
    const lanczos = manual(model, files, 48, false, 'lanczos');
    const bilinear = manual(model, files, 48, false, 'bilinear');
    assert.ok(close(lanczos[0], bilinear[0]) && !close(lanczos[2], bilinear[2]), 'the filters differ only where the image shrinks');
    (await predict(model, files)).forEach((r, i) => assert.ok(r.ok && close(r.probabilities, lanczos[i]), files[i]));
    (await predict(model, files, { shrink: 'bilinear' })).forEach((r, i) =>
      assert.ok(r.ok && close(r.probabilities, bilinear[i]), files[i]),
    );
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a broken or non-image file is reported by name and the others are still scored', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-predict-'));
  try {
    const [colour, grey, photo] = writeFixtures(dir);
    const broken = path.join(dir, 'broken.png');
    fs.writeFileSync(broken, fs.readFileSync(colour).subarray(0, 60)); // PNG signature, truncated body
    const text = path.join(dir, 'notes.jpg');
    fs.writeFileSync(text, 'not an image at all');
    const missing = path.join(dir, 'missing.png');
    const model = tinyModel(16);
    const inputs = [colour, broken, grey, text, missing, photo];
    const results = await predict(model, inputs, { batchSize: 4 });
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, false, true, false, false, true],
    );
    for (const [i, name] of [
      [1, broken],
      [3, text],
      [4, missing],
    ] as const) {
      const r = results[i];
      assert.ok(!r.ok);
      assert.ok(r.error.includes(name), `error should name ${name}: ${r.error}`);
    }
    const good = manual(model, [colour, grey, photo], 16, true);
    [0, 2, 5].forEach((idx, j) => {
      const r = results[idx];
      assert.ok(r.ok);
      assert.ok(Math.abs(r.probabilities[3] - good[j][3]) < 1e-6);
    });
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('decoded images are accepted and named by index', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel(12);
  const img = { data: new Uint8Array(30 * 20).map((_, i) => i % 256), width: 30, height: 20, channels: 1 as const };
  const [r] = await predict(model, [img]);
  assert.ok(r.ok);
  assert.equal(r.source, 'image[0]');
  assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  model.dispose();
});

test('facial predict CLI: table and JSON, broken file named on stderr, exit code 1, others scored', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-predict-cli-'));
  try {
    const faces = path.join(dir, 'faces');
    fs.mkdirSync(path.join(faces, 'sub'), { recursive: true });
    const [colour, grey, photo] = writeFixtures(faces);
    fs.renameSync(photo, path.join(faces, 'sub', path.basename(photo)));
    fs.writeFileSync(path.join(faces, 'readme.txt'), 'skipped: not an image extension');
    const broken = path.join(dir, 'broken.jpg');
    fs.writeFileSync(broken, Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]));
    const model = tinyModel(24);
    await saveModel(model, path.join(dir, 'model'));
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--require',
          'ts-node/register',
          path.join(ROOT, 'src', 'cli', 'main.ts'),
          'predict',
          '--no_detect', // whole images as face crops: the pipeline checked here by hand
          ...args,
          '--model_weights',
          path.join(dir, 'model'),
          '--backend',
          'cpu',
        ],
        { encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } },
      );
    const json = run(faces, broken, '--json', '--batch_size', '2', '--tta', 'none');
    assert.equal(json.status, 1, json.stderr);
    const out = JSON.parse(json.stdout) as {
      predictions: { file: string; emotion: string; probabilities: Record<string, number> }[];
      errors: { file: string; error: string }[];
    };
    const scoredFiles = [colour, grey, path.join(faces, 'sub', path.basename(photo))];
    assert.deepEqual(
      out.predictions.map((p) => p.file),
      scoredFiles,
    );
    assert.deepEqual(
      out.errors.map((e) => e.file),
      [broken],
    );
    const expected = manual(model, scoredFiles, 24, true);
    out.predictions.forEach((p, i) => EMOTIONS.forEach((e, c) => assert.ok(Math.abs(p.probabilities[e] - expected[i][c]) < 1e-6)));
    const table = run(grey, broken, '--tta', 'none'); // the table still prints; the broken file goes to stderr
    assert.equal(table.status, 1, table.stderr);
    assert.ok(table.stderr.includes(broken), table.stderr);
    const [header, row] = table.stdout.trim().split('\n');
    assert.match(header, /^file\s+emotion\s+Angry\s+Disgust\s+Fear\s+Happy\s+Sad\s+Surprise\s+Neutral$/);
    const cells = row.split(/\s{2,}/);
    assert.equal(cells[0], grey);
    assert.equal(cells[1], EMOTIONS[expected[1].indexOf(Math.max(...expected[1]))]);
    assert.deepEqual(
      cells.slice(2),
      expected[1].map((p) => (100 * p).toFixed(2)),
    );
    // Without --tta, facial predict averages each image with its mirror, as predict() does with tta 'flip'.
    const flipped = JSON.parse(run(grey, '--json').stdout) as { predictions: { probabilities: Record<string, number> }[] };
    const [want] = await predict(model, [grey], { tta: 'flip', stretch: true });
    assert.ok(want.ok);
    assert.ok(
      want.probabilities.some((p, c) => Math.abs(p - expected[1][c]) > 1e-4),
      'the mirror must change the answer for this to mean anything',
    );
    EMOTIONS.forEach((e, c) => assert.ok(Math.abs(flipped.predictions[0].probabilities[e] - want.probabilities[c]) < 1e-6, e));
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
