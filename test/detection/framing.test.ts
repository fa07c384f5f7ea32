/**
 * The detector's letterbox (where the image lands in the 256x256 input, and back) and the
 * FER2013 frame and crop, against values worked out by hand.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { BORDER_GREY, letterboxInput, toImageX, toImageY } from '../../src/detection/letterbox';
import { cropSquare, ferFrame } from '../../src/detection/framing';

test('letterbox: a 4x2 image with a border of half its long side, in a 16-pixel input', () => {
  const img = { data: new Uint8Array(8).fill(200), width: 4, height: 2, channels: 1 as const };
  const { pixels, letterbox } = letterboxInput(img, 16, 0.5);
  // square = 4 * (1 + 2 * 0.5) = 8 pixels -> 16: the image becomes 8x4 at (4, 6)
  assert.deepEqual(letterbox, { left: 4, top: 6, scaleX: 0.5, scaleY: 0.5 });
  const at = (x: number, y: number, c: number) => pixels[(y * 16 + x) * 3 + c];
  const inside = 200 / 127.5 - 1;
  const border = BORDER_GREY / 127.5 - 1;
  for (const c of [0, 1, 2]) {
    assert.ok(Math.abs(at(4, 6, c) - inside) < 1e-6 && Math.abs(at(11, 9, c) - inside) < 1e-6, 'image corners');
    assert.ok(Math.abs(at(3, 6, c) - border) < 1e-6 && Math.abs(at(4, 10, c) - border) < 1e-6, 'just outside');
  }
  assert.equal(toImageX(letterbox, 4), 0);
  assert.equal(toImageX(letterbox, 12), 4);
  assert.equal(toImageY(letterbox, 10), 2);
});

test('letterbox keeps the colour planes apart (RGBA in, RGB out)', () => {
  const img = { data: new Uint8Array([255, 0, 51, 7]), width: 1, height: 1, channels: 4 as const };
  const { pixels, letterbox } = letterboxInput(img, 4, 0.5); // 1 pixel in a 2-pixel square -> 2x2 at (1, 1)
  assert.deepEqual(letterbox, { left: 1, top: 1, scaleX: 0.5, scaleY: 0.5 });
  const i = (1 * 4 + 1) * 3;
  assert.deepEqual(Array.from(pixels.subarray(i, i + 3)), [1, -1, 51 / 127.5 - 1].map(Math.fround));
});

test('ferFrame: scale, offset and square from a box', () => {
  const f = ferFrame({ x: 10, y: 20, width: 40, height: 60 }, { scale: 1.5, dx: 0.1, dy: -0.2 });
  // side 50; centre (30 + 5, 50 - 10) = (35, 40); frame 75
  assert.deepEqual(f, { x: -2.5, y: 2.5, side: 75 });
});

test('cropSquare: PIL luma, edge pixels repeated outside the image', () => {
  // 3x2 RGB: grey pixels 10..50 and one pure red (luma (255 * 19595 + 32768) >> 16 = 76)
  const g = (v: number) => [v, v, v];
  const img = {
    data: new Uint8Array([...g(10), ...g(20), ...g(30), ...g(40), 255, 0, 0, ...g(50)]),
    width: 3,
    height: 2,
    channels: 3 as const,
  };
  const crop = cropSquare(img, { x: -1.2, y: 0.4, side: 3 }); // rounds to (-1, 0), side 3
  assert.equal(crop.channels, 1);
  assert.deepEqual(Array.from(crop.data), [10, 10, 20, 40, 40, 76, 40, 40, 76]);
  assert.equal(cropSquare(img, { x: 0, y: 0, side: 0.2 }).width, 1);
});
