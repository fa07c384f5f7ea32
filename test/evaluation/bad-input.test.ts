/**
 * Awkward inputs to face prediction: a non-image, a 0-byte file, a 1x1 image, 16-bit, grey +
 * alpha and CMYK images (the fixtures were written by Pillow 9.4 from examples/browser/face.png:
 * `face.convert('I').point(lambda v: v * 257).convert('I;16')`, `Image.merge('LA', ...)`,
 * `rgb.convert('CMYK').save(..., quality=95)`), and a 6000x6000 photo, in a child process whose
 * peak memory is read: a clear error naming the file, or the right answer.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { encodeGrayPng, readImage, toGrayscale } from '../../src/data/image-io';
import { resizeBilinear } from '../../src/data/resize';
import { predictFaces } from '../../src/evaluation/predict-faces';
import { FaceDetector } from '../../src/detection/detector';
import { FIXTURES, ROOT } from '../helpers/paths';

const face = toGrayscale(readImage(path.join(ROOT, 'examples', 'browser', 'face.png')));

test('16-bit, grey + alpha and CMYK images decode to the grey Pillow gives', () => {
  assert.deepEqual(toGrayscale(readImage(path.join(FIXTURES, 'face-16bit.png'))), face, '16-bit: v * 257 back to v');
  assert.deepEqual(toGrayscale(readImage(path.join(FIXTURES, 'face-grey-alpha.png'))), face, 'grey + alpha: the grey plane');
  // Pillow's convert('L') of the CMYK JPEG begins 90, 46, 44, 45, 39, 40; JPEG decoders may differ by 1
  const cmyk = toGrayscale(readImage(path.join(FIXTURES, 'face-cmyk.jpg')));
  [90, 46, 44, 45, 39, 40].forEach((v, i) => assert.ok(Math.abs(cmyk[i] - v) <= 1, `CMYK pixel ${i}: ${cmyk[i]} vs Pillow's ${v}`));
});

test('predictFaces: bad files are errors naming them; 1x1 and odd formats are answered', async (t) => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-bad-'));
  const detector = await FaceDetector.load();
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [48, 48, 1] }), tf.layers.dense({ units: 7, activation: 'softmax' })],
  });
  t.after(() => {
    detector.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const empty = path.join(dir, 'empty.png');
  fs.writeFileSync(empty, '');
  const text = path.join(dir, 'notes.jpg');
  fs.writeFileSync(text, 'hello');
  const files = [empty, text, ...['face-16bit.png', 'face-grey-alpha.png', 'face-cmyk.jpg'].map((f) => path.join(FIXTURES, f))];
  const one = { data: new Uint8Array([200, 100, 50]), width: 1, height: 1, channels: 3 as const };
  const [r0, r1, r16, rAlpha, rCmyk, rOne] = await predictFaces(model, [...files, one], { detector });
  assert.deepEqual(r0, { ok: false, source: empty, error: `${empty}: empty file (0 bytes), not an image` });
  assert.deepEqual(r1, { ok: false, source: text, error: `${text}: not a PNG or JPEG file` });
  for (const r of [r16, rAlpha]) {
    assert.ok(r.ok && r.faces.length === 1, `${r.source}: the face, found as in face.png`);
  }
  assert.ok(rCmyk.ok, 'CMYK JPEG answered');
  assert.deepEqual(rOne, { ok: true, source: 'image[5]', width: 1, height: 1, faces: [] });
});

/** Peak RSS (MB) of a fresh process that predicts the faces of `file`, and the boxes it found. */
function predictInChild(file: string): { faces: { x: number; y: number; width: number; height: number }[]; maxRssMB: number } {
  const script = `
    const { loadPretrained } = require('./src/io/pretrained');
    const { predictFaces } = require('./src/evaluation/predict-faces');
    (async () => {
      const { model } = await loadPretrained();
      const [r] = await predictFaces(model, [${JSON.stringify(file)}]);
      if (!r.ok) throw new Error(r.error);
      console.log(JSON.stringify({ faces: r.faces.map((f) => f.box), maxRssMB: process.resourceUsage().maxRSS / 1024 }));
    })();`;
  const r = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** A grey photo of side `side` with face.png enlarged to a quarter of it, its top-left at (side / 2, side / 3). */
function writePhoto(file: string, side: number): void {
  const photo = new Uint8Array(side * side).fill(90);
  const q = side / 4;
  const big = resizeBilinear(face, 48, 48, q, q);
  for (let y = 0; y < q; y++) photo.set(big.subarray(y * q, (y + 1) * q), (side / 3 + y) * side + side / 2);
  fs.writeFileSync(file, encodeGrayPng(photo, side, side));
}

test('a 6000x6000 photo: its face is found, with at most 400 MB more memory than for a 600x600 one', { timeout: 300_000 }, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-big-'));
  try {
    writePhoto(path.join(dir, 'big.png'), 6000);
    writePhoto(path.join(dir, 'small.png'), 600);
    const big = predictInChild(path.join(dir, 'big.png'));
    const small = predictInChild(path.join(dir, 'small.png'));
    for (const [r, side] of [
      [big, 6000],
      [small, 600],
    ] as const) {
      assert.equal(r.faces.length, 1, JSON.stringify(r));
      const b = r.faces[0];
      assert.ok(
        b.x > side / 2 && b.x + b.width < side * 0.75 && b.y > side / 3 && b.y + b.height < side * (1 / 3 + 1 / 4),
        JSON.stringify(b),
      );
    }
    t.diagnostic(`peak RSS: 6000x6000 ${big.maxRssMB.toFixed(0)} MB, 600x600 ${small.maxRssMB.toFixed(0)} MB`);
    // the decoded RGBA photo alone is 144 MB; nothing may grow with its area beyond a few such copies
    assert.ok(big.maxRssMB - small.maxRssMB < 400, `peak RSS ${big.maxRssMB.toFixed(0)} MB vs ${small.maxRssMB.toFixed(0)} MB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
