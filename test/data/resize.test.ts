/**
 * bytescale / resizeBilinear / prepareFace against cases worked out by hand from
 * scipy.misc.bytescale and PIL's Resample.c (BILINEAR, 8-bit, fixed point with 22
 * fractional bits: out = (2^21 + sum(pixel * round(w * 2^22))) >> 22).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { bytescale, resizeBilinear, prepareFace, NORMALISE_TABLE, resizeInto, ResampleFilter } from '../../src/data/resize';
import { FIXTURES } from '../helpers/paths';

const u8 = (a: number[]) => new Uint8Array(a);

test('bytescale stretches min..max to 0..255 with +0.5 truncation', () => {
  // min 0, max 2: scale 255/2 = 127.5; 1 -> 127.5 + 0.5 = 128.
  assert.deepEqual([...bytescale(u8([0, 1, 2]))], [0, 128, 255]);
  // min 3, max 10: scale 255/7 = 36.4286; 4 -> 36.43 + 0.5 = 36.93 -> 36; 10 -> 255.
  assert.deepEqual([...bytescale(u8([3, 4, 10]))], [0, 36, 255]);
  // min 10, max 255: scale 255/245 = 1.040816; 21 -> 11.449 + 0.5 -> 11; 30 -> 20.816 + 0.5 -> 21.
  assert.deepEqual([...bytescale(u8([10, 21, 30, 255]))], [0, 11, 21, 255]);
});

test('bytescale of a constant image is all zero (scipy uses cscale 1)', () => {
  // (7 - 7) * 255 / 1 = 0 for every pixel.
  assert.deepEqual([...bytescale(u8([7, 7, 7]))], [0, 0, 0]);
});

test('resizeBilinear enlarging 2x1 -> 4x1 follows PIL window and weights', () => {
  // scale 0.5, support 1. Output centres 0.25, 0.75, 1.25, 1.75.
  // x0: window [0,1) weight 0.75 -> normalised 1   => 0
  // x1: taps 0,1 weights 0.75, 0.25                 => 101*0.25 = 25.25 -> 25
  // x2: taps 0,1 weights 0.25, 0.75                 => 101*0.75 = 75.75 -> 76
  // x3: window [1,2) weight 0.75 -> normalised 1   => 101
  assert.deepEqual([...resizeBilinear(u8([0, 101]), 2, 1, 4, 1)], [0, 25, 76, 101]);
});

test('resizeBilinear shrinking 4x1 -> 2x1 antialiases (filter widened to support 2)', () => {
  // scale 2, support 2, taps weighted by triangle(d/2):
  // x0 centre 1: pixels 0,1,2 weights 0.75,0.75,0.25 -> 3/7,3/7,1/7 => 70*3/7 + 140/7 = 50
  // x1 centre 3: pixels 1,2,3 weights 0.25,0.75,0.75 -> 1/7,3/7,3/7 => 10 + 60 + 90 = 160
  // (a plain 2-tap bilinear would give 35 and 175).
  assert.deepEqual([...resizeBilinear(u8([0, 70, 140, 210]), 4, 1, 2, 1)], [50, 160]);
});

test('resizeBilinear 2x2 -> 3x3 rounds to uint8 between the horizontal and vertical pass', () => {
  // Each axis: scale 2/3; out 0 = in 0, out 1 = (in0 + in1) / 2, out 2 = in 1.
  // Horizontal: [10,21] -> [10, 15.5+0.5 -> 16, 21]; [30,255] -> [30, 142.5+0.5 -> 143, 255]
  // Vertical:   col0 (10+30)/2 = 20; col1 (16+143)/2 = 79.5 -> 80 (79 without the
  //             intermediate rounding); col2 (21+255)/2 = 138.
  assert.deepEqual([...resizeBilinear(u8([10, 21, 30, 255]), 2, 2, 3, 3)], [10, 16, 21, 20, 80, 138, 30, 143, 255]);
});

test('resizeBilinear keeps a constant image constant when enlarging 48 -> 200 and shrinking 48 -> 20', () => {
  const flat = new Uint8Array(48 * 48).fill(77);
  assert.ok(resizeBilinear(flat, 48, 48, 200, 200).every((v) => v === 77));
  assert.ok(resizeBilinear(flat, 48, 48, 20, 20).every((v) => v === 77));
});

test('prepareFace = bytescale then resize; identity without stretch at the same size', () => {
  // bytescale [10,21,30,255] -> [0,11,21,255] (see above), then 2x2 -> 3x3:
  // rows [0, 5.5+0.5 -> 6, 11], [21, 138, 255]; columns 0: (0+21)/2 = 10.5 -> 11,
  // 1: (6+138)/2 = 72, 2: (11+255)/2 = 133.
  assert.deepEqual([...prepareFace(u8([10, 21, 30, 255]), 2, 2, 3, true)], [0, 6, 11, 11, 72, 133, 21, 138, 255]);
  const img = u8([5, 6, 7, 8]);
  const same = prepareFace(img, 2, 2, 2, false);
  assert.deepEqual([...same], [5, 6, 7, 8]);
  assert.notEqual(same, img, 'a copy, not the caller buffer');
  // stretch at the same size is just bytescale: min 5, max 8, scale 85.
  assert.deepEqual([...prepareFace(img, 2, 2, 2, true)], [0, 85, 170, 255]);
});

test('normalisation table is x / 255 - 0.5', () => {
  assert.equal(NORMALISE_TABLE[0], -0.5);
  assert.equal(NORMALISE_TABLE[255], 0.5);
  assert.equal(NORMALISE_TABLE[51], Math.fround(51 / 255 - 0.5));
});

test('resizeBilinear equals Pillow 9.4 Image.resize(BILINEAR) byte for byte (fixture from scripts/pil-reference.py)', () => {
  const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pil-bilinear.json'), 'utf8')) as {
    images: Record<string, number[]>;
    cases: { image: string; w: number; h: number; sha256: string; out?: number[] }[];
  };
  assert.equal(ref.cases.length, 10);
  for (const c of ref.cases) {
    const out = resizeBilinear(Uint8Array.from(ref.images[c.image]), 48, 48, c.w, c.h);
    if (c.out) assert.deepEqual([...out], c.out, `${c.image} -> ${c.w}x${c.h}`);
    assert.equal(createHash('sha256').update(out).digest('hex'), c.sha256, `${c.image} -> ${c.w}x${c.h}`);
  }
});

test("resizeInto equals Pillow 9.4's BOX, HAMMING, BICUBIC and LANCZOS byte for byte, shrinking and enlarging (fixture from scripts/pil-reference.py)", () => {
  const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pil-filters.json'), 'utf8')) as {
    images: Record<string, { width: number; height: number; pixels: number[] }>;
    cases: { filter: ResampleFilter; image: string; w: number; h: number; sha256: string; out?: number[] }[];
  };
  assert.equal(ref.cases.length, 24);
  for (const c of ref.cases) {
    const img = ref.images[c.image];
    const out = new Uint8Array(c.w * c.h);
    resizeInto(Uint8Array.from(img.pixels), img.width, img.height, out, c.w, c.h, c.filter);
    const what = `${c.filter}: ${c.image} -> ${c.w}x${c.h}`;
    if (c.out) assert.deepEqual([...out], c.out, what);
    assert.equal(createHash('sha256').update(out).digest('hex'), c.sha256, what);
  }
});

test('prepareFace shrinks with the filter it is given and enlarges with bilinear whatever it is given', () => {
  const big = Uint8Array.from({ length: 96 * 96 }, (_, i) => (i * 37) % 256);
  const lanczos = new Uint8Array(48 * 48);
  resizeInto(big, 96, 96, lanczos, 48, 48, 'lanczos');
  assert.deepEqual(prepareFace(big, 96, 96, 48, false, 'lanczos'), lanczos);
  assert.notDeepEqual(prepareFace(big, 96, 96, 48, false, 'lanczos'), prepareFace(big, 96, 96, 48, false));
  const small = big.subarray(0, 48 * 48);
  assert.deepEqual(prepareFace(small, 48, 48, 200, true, 'lanczos'), prepareFace(small, 48, 48, 200, true));
});
