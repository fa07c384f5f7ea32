/** Reading images: a damaged file is named with what is wrong with it. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { decodeImage, encodeGrayPng } from '../../src/data/image-io';

test('a truncated PNG says it is truncated, naming the file', () => {
  const png = encodeGrayPng(new Uint8Array(48 * 48).fill(100), 48, 48);
  assert.throws(
    () => decodeImage(png.subarray(0, 60), 'face.png'),
    /^Error: face\.png: not a readable PNG image \(the file is truncated\)/,
  );
});
