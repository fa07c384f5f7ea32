/**
 * findFaces's search, with a stand-in detector (no model): a photo is searched once without a
 * border; a tight crop, or a photo where nothing was found, is searched again with
 * CROP_BORDER; the faces of the second search win where they overlap the first's; boxes come
 * back in image pixels, largest first, with their FER2013 frames.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CROP_BORDER, findFaces } from '../../src/detection/faces';
import type { RawFace } from '../../src/detection/decode';
import { ferFrame } from '../../src/detection/framing';

/** A 100x100 black image: in a search without border the input's corner is black (-1), with one it is border grey. */
const img = { data: new Uint8Array(100 * 100), width: 100, height: 100, channels: 1 as const };
const face = (x1: number, y1: number, x2: number, y2: number, score = 0.9): RawFace => ({
  x1,
  y1,
  x2,
  y2,
  score,
  keypoints: new Array(12).fill(0),
});

/** A detector that answers `plain` to a search without border and `bordered` to one with. */
function standIn(plain: RawFace[], bordered: RawFace[]) {
  const calls: string[] = [];
  const detect = async (pixels: Float32Array) => {
    const withBorder = pixels[0] > -0.5;
    calls.push(withBorder ? 'bordered' : 'plain');
    return withBorder ? bordered : plain;
  };
  return { calls, detect };
}

test('a face smaller than half the image: one search, boxes in image pixels', async () => {
  const s = standIn([face(64, 64, 128, 128)], []);
  const faces = await findFaces(img, 256, s.detect);
  assert.deepEqual(s.calls, ['plain']);
  // 100 pixels fill the 256 input: image = input * 100 / 256
  assert.deepEqual(faces[0].box, { x: 25, y: 25, width: 25, height: 25 });
  assert.deepEqual(faces[0].frame, ferFrame(faces[0].box));
});

test('nothing found, or a tight crop: a second search with the border, whose faces win', async () => {
  const none = standIn([], [face(64, 64, 192, 192)]);
  const found = await findFaces(img, 256, none.detect);
  assert.deepEqual(none.calls, ['plain', 'bordered']);
  // with CROP_BORDER 0.5 the 100 pixels are 128 of the input, from 64: image = (input - 64) * 100 / 128
  assert.equal(CROP_BORDER, 0.5);
  assert.deepEqual(found[0].box, { x: 0, y: 0, width: 100, height: 100 });

  const tight = standIn(
    [face(10, 10, 250, 250), face(0, 0, 20, 20, 0.6)], // a crop-sized face and a small one elsewhere
    [face(80, 80, 176, 176)],
  );
  const merged = await findFaces(img, 256, tight.detect);
  assert.deepEqual(tight.calls, ['plain', 'bordered']);
  assert.deepEqual(
    merged.map((f) => f.box),
    [
      { x: 12.5, y: 12.5, width: 75, height: 75 }, // the bordered search's face replaces the big plain one
      { x: 0, y: 0, width: 20 * (100 / 256), height: 20 * (100 / 256) }, // the small plain face stays
    ],
  );
});

test('an explicit border: exactly one search with it', async () => {
  const s = standIn([face(0, 0, 10, 10)], [face(0, 0, 10, 10)]);
  await findFaces(img, 256, s.detect, { border: 0.2 });
  assert.deepEqual(s.calls, ['bordered']);
});
