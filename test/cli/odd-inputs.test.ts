/**
 * Inputs that used to get a confident answer or an unreadable error (issue 18, item 12): an
 * image too small to hold a face, a 0-byte image, and an image given where a model belongs.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeGrayPng } from '../../src/data/image-io';
import { runCli } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odd-'));
const run = (...args: string[]) => runCli([...args, '--backend', 'cpu'], { cwd: dir });

test('predict warns on a 1x1 image (still answering), and a 0-byte image is an "empty file"', () => {
  fs.writeFileSync(path.join(dir, 'dot.png'), encodeGrayPng(new Uint8Array([128]), 1, 1));
  fs.writeFileSync(path.join(dir, 'face15.png'), encodeGrayPng(new Uint8Array(15 * 20).fill(90), 15, 20));
  fs.writeFileSync(path.join(dir, 'face16.png'), encodeGrayPng(new Uint8Array(16 * 16).fill(90), 16, 16));
  fs.writeFileSync(path.join(dir, 'empty.png'), '');
  // Whole images as face crops (--no_detect): a crop that small is answered, with a warning.
  const r = run('predict', 'dot.png', 'face15.png', 'face16.png', 'empty.png', '--no_detect');
  assert.equal(r.status, 1, r.stderr); // the empty file is an error
  assert.match(r.stdout, /dot\.png/);
  assert.match(r.stderr, /warning: dot\.png: the image is only 1x1 pixels; a face needs at least 16 on a side/);
  assert.match(r.stderr, /warning: face15\.png: the image is only 15x20 pixels/);
  assert.doesNotMatch(r.stderr, /face16\.png/);
  assert.match(r.stderr, /empty\.png: empty file \(0 bytes\), not an image/);
  // With face detection (the default) the 1x1 image holds no face, and says so.
  const detect = run('predict', 'dot.png');
  assert.equal(detect.status, 0, detect.stderr);
  assert.match(detect.stdout, /dot\.png.*no face found/);
});

test('a model path that is a PNG says "binary file, not a model.json" without printing its bytes; an empty one "empty file"', () => {
  fs.writeFileSync(path.join(dir, 'm.png'), encodeGrayPng(new Uint8Array(64).fill(7), 8, 8));
  fs.writeFileSync(path.join(dir, 'face.png'), encodeGrayPng(new Uint8Array(48 * 48).fill(90), 48, 48));
  fs.writeFileSync(path.join(dir, 'empty.json'), '');
  const png = run('predict', 'face.png', '--model_weights', 'm.png');
  assert.equal(png.status, 1);
  assert.match(png.stderr, /m\.png is a binary file, not a model\.json/);
  assert.doesNotMatch(png.stderr, /PNG|IHDR|\uFFFD/);
  const empty = run('predict', 'face.png', '--model_weights', 'empty.json');
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /empty\.json is an empty file, not a model\.json/);
});
