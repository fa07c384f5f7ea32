/**
 * findFaces's search, with a stand-in detector (no model): a photo is searched once without a
 * border; a tight crop, or a photo where nothing was found, is searched again with
 * CROP_BORDER; the faces of the second search win where they overlap the first's; boxes come
 * back in image pixels, largest first, with their FER2013 frames; when both searches find
 * nothing, the zoomed tiles are searched and a face seen in two tiles is one face.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CROP_BORDER, TILE, findFaces, zoomTiles } from '../../src/detection/faces';
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

test('zoomTiles: 2x2 tiles of 0.6 of the longer side, one row or column where a side is shorter than a tile', () => {
  assert.equal(TILE, 0.6);
  // 640x480: 384-pixel tiles at x 0 and 256, y 0 and 96
  assert.deepEqual(zoomTiles(640, 480), [
    { x: 0, y: 0, width: 384, height: 384 },
    { x: 256, y: 0, width: 384, height: 384 },
    { x: 0, y: 96, width: 384, height: 384 },
    { x: 256, y: 96, width: 384, height: 384 },
  ]);
  assert.deepEqual(zoomTiles(1000, 200), [
    { x: 0, y: 0, width: 600, height: 200 },
    { x: 400, y: 0, width: 600, height: 200 },
  ]);
});

test('nothing found by either search: the zoomed tiles are searched, boxes mapped back, one face per overlap', async () => {
  const photo = { data: new Uint8Array(640 * 480), width: 640, height: 480, channels: 1 as const };
  let call = 0;
  const detect = async () => {
    call++;
    // calls 1 and 2: the whole photo without and with border; 3..6: the tiles in zoomTiles' order,
    // each 384 pixels in the 256 input (1.5 image pixels an input pixel)
    if (call === 3) return [face(186, 20, 226, 60, 0.6)]; // tile 1 (x 0): image x 279, y 30
    if (call === 4) return [face(16, 20, 56, 60, 0.8)]; // tile 2 (x 256): the same face at x 280, surer
    if (call === 6) return [face(200, 200, 220, 220, 0.7)]; // tile 4 (x 256, y 96): another face
    return [];
  };
  const faces = await findFaces(photo, 256, detect);
  assert.equal(call, 6);
  assert.equal(faces.length, 2);
  assert.deepEqual(faces[0].box, { x: 280, y: 30, width: 60, height: 60 });
  assert.equal(faces[0].score, 0.8);
  assert.deepEqual(faces[0].keypoints[0], [256, 0]);
  assert.deepEqual(faces[0].frame, ferFrame(faces[0].box));
  assert.deepEqual(faces[1].box, { x: 556, y: 396, width: 30, height: 30 });

  // zoom: false, or an image smaller than the detector's input, stops after the two searches
  call = 0;
  assert.deepEqual(await findFaces(photo, 256, detect, { zoom: false }), []);
  assert.equal(call, 2);
  call = 0;
  await findFaces(img, 256, detect);
  assert.equal(call, 2);
});
