import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ImageDataGenerator } from '../../src/data/image-generator';
import { IDENTITY_TRANSFORM, TransformParams, FillMode, randomErase } from '../../src/data/image-transform';
import { encodeGrayPng } from '../../src/data/image-io';
import { toBatch } from '../../src/data/data-source';

// A 4x4 single-channel image whose value encodes its position: v(r, c) = 10 r + c.
// Bilinear interpolation of a linear function is exact, so every expected pixel below is
// 10 * row' + col' at the input coordinate the transform maps to.
const H = 4,
  W = 4;
const IMG = Float32Array.from({ length: H * W }, (_, i) => 10 * Math.floor(i / W) + (i % W));
const at = (img: Float32Array, r: number, c: number) => img[r * W + c];
const clamp = (x: number) => Math.min(H - 1, Math.max(0, x));

function run(p: Partial<TransformParams>, fillMode: FillMode = 'nearest', cval = 0): Float32Array {
  return new ImageDataGenerator({ fillMode, cval }).applyTransform(IMG, H, W, 1, { ...IDENTITY_TRANSFORM, ...p });
}

function assertClose(actual: Float32Array, expected: number[], tol = 1e-4) {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol, `pixel ${i}: ${v} vs ${expected[i]}`));
}

function grid(f: (r: number, c: number) => number): number[] {
  return Array.from({ length: H * W }, (_, i) => f(Math.floor(i / W), i % W));
}

test('horizontal flip mirrors columns: out(r,c) = in(r, 3-c)', () => {
  assertClose(
    run({ flipHorizontal: true }),
    grid((r, c) => at(IMG, r, 3 - c)),
  );
});

test('width shift by +2 px samples column c+2, each fill mode folds columns 4,5 as scipy does', () => {
  // nearest: 4,5 -> 3,3; reflect (half-sample, d c b a | a b c d | d c b a): 4->3, 5->2;
  // wrap (scipy: period n-1 = 3, first and last samples overlap): 4->1, 5->2; constant: cval.
  const cols: Record<FillMode, number[]> = { nearest: [2, 3, 3, 3], reflect: [2, 3, 3, 2], wrap: [2, 3, 1, 2], constant: [2, 3, -1, -1] };
  for (const mode of Object.keys(cols) as FillMode[]) {
    const out = run({ ty: 2 }, mode, -7);
    const expected = grid((r, c) => (cols[mode][c] < 0 ? -7 : 10 * r + cols[mode][c]));
    assertClose(out, expected);
  }
});

test('width shift by -2 px: columns -2,-1 folded per fill mode', () => {
  // reflect: -1->0, -2->1; wrap: -1 -> -1+3 = 2, -2 -> 1; nearest: 0.
  const cols: Record<FillMode, number[]> = { nearest: [0, 0, 0, 1], reflect: [1, 0, 0, 1], wrap: [1, 2, 0, 1], constant: [-1, -1, 0, 1] };
  for (const mode of Object.keys(cols) as FillMode[]) {
    const expected = grid((r, c) => (cols[mode][c] < 0 ? 5 : 10 * r + cols[mode][c]));
    assertClose(run({ ty: -2 }, mode, 5), expected);
  }
});

test('height shift by a fractional 0.5 px interpolates rows: out = 10 * clamp(r + 0.5) + c', () => {
  assertClose(
    run({ tx: 0.5 }),
    grid((r, c) => 10 * clamp(r + 0.5) + c),
  );
});

test('zoom uses Keras centre h/2+0.5 = 2.5: zy=0.5 -> col 0.5c+1.25, zx=2 -> row 2r-2.5 (clamped)', () => {
  assertClose(
    run({ zx: 2, zy: 0.5 }),
    grid((r, c) => 10 * clamp(2 * r - 2.5) + (0.5 * c + 1.25)),
  );
});

test('shear 30 degrees: row = r - sin(30)(c - 2.5), col = cos(30)(c - 2.5) + 2.5', () => {
  const s = Math.PI / 6;
  const expected = grid((r, c) => 10 * clamp(r - Math.sin(s) * (c - 2.5)) + clamp(Math.cos(s) * (c - 2.5) + 2.5));
  assertClose(run({ shear: 30 }), expected);
});

test('rotation 90 degrees: row = 5 - c (clamped), col = r', () => {
  assertClose(
    run({ theta: 90 }),
    grid((r, c) => 10 * clamp(5 - c) + r),
  );
});

test('getRandomTransform scales shift fractions by the image size and draws zx, zy independently', () => {
  const draws = [0.75, 0.25, 0.0, 1.0, 0.4];
  let i = 0;
  const gen = new ImageDataGenerator({ width_shift_range: 0.1, height_shift_range: 0.1, zoom_range: 0.2, horizontal_flip: true });
  const p = gen.getRandomTransform(40, 20, () => draws[i++]);
  assert.ok(Math.abs(p.tx - 0.05 * 40) < 1e-9); // uniform(-0.1, 0.1) at 0.75 = 0.05, times height 40
  assert.ok(Math.abs(p.ty - -0.05 * 20) < 1e-9); // at 0.25 = -0.05, times width 20
  assert.ok(Math.abs(p.zx - 0.8) < 1e-9 && Math.abs(p.zy - 1.2) < 1e-9);
  assert.equal(p.flipHorizontal, true); // 0.4 < 0.5
  assert.equal(i, 5);
});

test('preprocessing_function runs before rescale (Keras standardize order)', () => {
  const gen = new ImageDataGenerator({ preprocessingFunction: (x) => x.map((v) => v - 1), rescale: 2 });
  assertClose(gen.standardize(Float32Array.from([3, 5]), [1, 2, 1]), [4, 8]);
});

test('flow: equal seeds give identical augmented batches, another seed differs', async () => {
  await tf.setBackend('cpu');
  const x = tf.tensor4d(
    Float32Array.from({ length: 6 * 8 * 8 }, (_, i) => (i * 37) % 255),
    [6, 8, 8, 1],
  );
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3) as tf.Tensor2D;
  const gen = new ImageDataGenerator({ rotation_range: 20, width_shift_range: 0.1, zoom_range: 0.2, horizontal_flip: true });
  const collect = async (seed: number) => {
    const out: number[][] = [];
    for await (const item of gen.flow(x, y, { batchSize: 4, seed }).batches(0)) {
      const b = toBatch(item);
      out.push(Array.from(b.xs.dataSync()), Array.from(b.ys.dataSync()));
      tf.dispose([b.xs, b.ys]);
    }
    return out;
  };
  const a = await collect(3),
    b = await collect(3),
    c = await collect(4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.length, 4); // two batches (4 + 2), xs and ys each
  tf.dispose([x, y]);
});

function makeFolders(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgflow-'));
  for (const cls of ['0', '1']) {
    fs.mkdirSync(path.join(dir, cls));
    for (let k = 0; k < 3; k++) {
      const px = Uint8Array.from({ length: 16 }, (_, i) => Number(cls) * 100 + k * 10 + i);
      fs.writeFileSync(path.join(dir, cls, `${cls}_${k}.png`), encodeGrayPng(px, 4, 4));
    }
  }
  return dir;
}

test('flowFromDirectory reads class folders in order; pixels pass through preprocessing exactly', async () => {
  await tf.setBackend('cpu');
  const dir = makeFolders();
  const flow = new ImageDataGenerator({ preprocessingFunction: (x) => x.map((v) => v / 255 - 0.5) }).flowFromDirectory(dir, {
    targetSize: [4, 4],
    batchSize: 4,
    shuffle: false,
  });
  assert.deepEqual(flow.classes, ['0', '1']);
  assert.deepEqual(flow.classCounts(), [3, 3]);
  const batches = [];
  for await (const b of flow.batches(0)) batches.push(toBatch(b));
  assert.deepEqual(
    batches.map((b) => b.xs.shape[0]),
    [4, 2],
  );
  const xs = batches[0].xs.dataSync();
  // 4th image = class 1, k = 0: pixel i is 100 + i.
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(xs[3 * 16 + i] - ((100 + i) / 255 - 0.5)) < 1e-6);
  assert.deepEqual(Array.from(batches[0].ys.dataSync()), [1, 0, 1, 0, 1, 0, 0, 1]);
  batches.forEach((b) => tf.dispose([b.xs, b.ys]));
  fs.rmSync(dir, { recursive: true });
});

test('flowFromDirectory: a bad image names the file, or is skipped and counted', async () => {
  await tf.setBackend('cpu');
  const dir = makeFolders();
  const bad = path.join(dir, '1', '1_bad.png');
  fs.writeFileSync(bad, 'not an image');
  const gen = new ImageDataGenerator();
  const drain = async (onBadImage?: 'skip') => {
    const flow = gen.flowFromDirectory(dir, { targetSize: [4, 4], batchSize: 2, shuffle: false, onBadImage });
    let n = 0;
    for await (const item of flow.batches(0)) {
      const b = toBatch(item);
      n += b.xs.shape[0];
      tf.dispose([b.xs, b.ys]);
    }
    return { n, skipped: flow.skipped };
  };
  await assert.rejects(drain(), (err: Error) => err.message.includes(bad));
  assert.deepEqual(await drain('skip'), { n: 6, skipped: 1 });
  fs.rmSync(dir, { recursive: true });
});

test('flowFromDirectory: empty, missing class folders and a missing root are errors that say which', () => {
  const dir = makeFolders();
  const gen = new ImageDataGenerator();
  fs.mkdirSync(path.join(dir, '2'));
  assert.throws(
    () => gen.flowFromDirectory(dir),
    (e: Error) => e.message.includes(path.join(dir, '2')) && /no PNG\/JPEG/.test(e.message),
  );
  assert.throws(
    () => gen.flowFromDirectory(dir, { classes: ['0', '1', '5'] }),
    (e: Error) => e.message.includes(path.join(dir, '5')) && /missing/.test(e.message),
  );
  assert.throws(() => gen.flowFromDirectory(path.join(dir, 'nope')), /nope' does not exist/);
  fs.rmSync(dir, { recursive: true });
});

test('randomErase follows torchvision draws: area and log-ratio give the rectangle, placed by two more draws', () => {
  // 10x10, scale [0.1, 0.5] at 0.5 -> area 30; ratio [1, 4] log-uniform at 0.5 -> 2;
  // h = round(sqrt(60)) = 8, w = round(sqrt(15)) = 4; top = floor(0.5 * 3) = 1, left = floor(0.25 * 7) = 1.
  const draws = [0.1, 0.5, 0.5, 0.5, 0.25];
  let i = 0;
  const img = new Float32Array(100).fill(1);
  const rect = randomErase(img, 10, 10, 1, { probability: 0.5, scale: [0.1, 0.5], ratio: [1, 4], value: -2 }, () => draws[i++]);
  assert.deepEqual(rect, [1, 1, 8, 4]);
  assert.equal(i, 5);
  for (let r = 0; r < 10; r++)
    for (let c = 0; c < 10; c++) {
      const inside = r >= 1 && r < 9 && c >= 1 && c < 5;
      assert.equal(img[r * 10 + c], inside ? -2 : 1, `pixel (${r}, ${c})`);
    }
});

test('randomErase: a draw at or over the probability leaves the image alone; a rectangle that never fits gives up after 10 tries', () => {
  const img = new Float32Array(16).fill(3);
  assert.equal(
    randomErase(img, 4, 4, 1, { probability: 0.5 }, () => 0.5),
    null,
  );
  let n = 0;
  // scale 1 -> the whole area, never strictly inside the image: 1 + 10 x 2 draws, then nothing.
  assert.equal(
    randomErase(img, 4, 4, 1, { probability: 1, scale: [1, 1] }, () => (n++, 0.3)),
    null,
  );
  assert.equal(n, 21);
  assert.deepEqual(Array.from(img), new Array(16).fill(3));
});

test('randomErasing in the generator erases after rescale, with the value as given, in every channel', () => {
  const gen = new ImageDataGenerator({ rescale: 0.5, randomErasing: { probability: 1, scale: [0.25, 0.25], ratio: [1, 1], value: 7 } });
  // A 4x4x2 image of 2s: rescale -> 1s; area 4 at ratio 1 -> a 2x2 square at top floor(0.3*3)=0, left 0.
  const out = gen.transformBatch(new Float32Array(32).fill(2), 1, [4, 4, 2], () => 0.3);
  const expected = Array.from({ length: 32 }, (_, k) => (Math.floor(k / 8) < 2 && Math.floor(k / 2) % 4 < 2 ? 7 : 1));
  assert.deepEqual(Array.from(out), expected);
});

test('randomErasing rejects a probability, scale or ratio out of range, naming it', () => {
  assert.throws(() => new ImageDataGenerator({ randomErasing: { probability: 1.5 } }), /randomErasing\.probability/);
  assert.throws(() => new ImageDataGenerator({ randomErasing: { scale: [0.5, 0.2] } }), /randomErasing\.scale/);
  assert.throws(() => new ImageDataGenerator({ randomErasing: { ratio: [0, 1] } }), /randomErasing\.ratio/);
});
