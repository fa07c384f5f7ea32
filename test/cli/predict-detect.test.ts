/**
 * `facial predict` with face detection (the default): one line per face with its box, an image
 * without a face says so (also in --json, per image), --annotate writes the picture with boxes,
 * and --no_detect (with --tta none) gives exactly the whole-image numbers of predict().
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readImage, toGrayscale, decodeImage, encodeGrayPng } from '../../src/data/image-io';
import { readFerCsvSync } from '../../src/data/fer-csv';
import { SAMPLE_CSV_PATH } from '../../src/facial';
import { background, pasteFace, pngOf, twoFaceScene } from '../../scripts/scenes';
import { ROOT } from '../helpers/paths';
import { runCli } from '../helpers/cli';
import * as tf from '@tensorflow/tfjs';
import { EMOTIONS } from '../../src/data/emotions';
import { predict } from '../../src/evaluation/predict';
import { loadPretrained } from '../../src/io/pretrained';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-detect-cli-'));
const run = (...args: string[]) => runCli(['predict', ...args], { cwd: dir });
const face = path.join(ROOT, 'examples', 'browser', 'face.png');

/** A 320x240 colour picture with the example face (120 px) and a sample face (80 px). */
function writeScene(file: string): void {
  const scene = background(320, 240, 11);
  pasteFace(scene, toGrayscale(readImage(face)), 180, 40, 120);
  const sample = readFerCsvSync(SAMPLE_CSV_PATH, { splits: ['validation'], limit: 4 }).splits.validation!;
  pasteFace(scene, sample.pixels.subarray(3 * 2304, 4 * 2304), 30, 110, 80);
  fs.writeFileSync(file, pngOf(scene));
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a line per face, largest first; "no face found"; --json per image; --annotate draws', () => {
  const scene = path.join(dir, 'scene.png');
  const grey = path.join(dir, 'grey.png');
  writeScene(scene);
  fs.writeFileSync(grey, encodeGrayPng(new Uint8Array(200 * 150).fill(128), 200, 150));

  const text = run(scene, grey);
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^file\s+face\s+box \(x y w h\)\s+score\s+emotion\s+Angry/);
  assert.match(lines[1], new RegExp(`^${scene}\\s+1\\s+\\d+ \\d+ \\d+ \\d+\\s+0\\.\\d{3}\\s+[A-Z][a-z]+(\\s+\\d+\\.\\d\\d){7}$`));
  assert.match(lines[2], new RegExp(`^${scene}\\s+2\\s`));
  assert.match(lines[3], new RegExp(`^${grey}\\s+-\\s+no face found$`));

  const annotated = path.join(dir, 'annotated');
  const json = run(scene, grey, '--json', '--annotate', annotated);
  assert.equal(json.status, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  assert.deepEqual(out.errors, []);
  const [withFaces, without] = out.images;
  assert.equal(withFaces.faces.length, 2);
  const area = (f: { box: { width: number; height: number } }) => f.box.width * f.box.height;
  assert.ok(area(withFaces.faces[0]) > area(withFaces.faces[1]), 'largest first');
  assert.ok(
    withFaces.faces[0].box.x > 150 && withFaces.faces[1].box.x < 120,
    JSON.stringify(withFaces.faces.map((f: { box: object }) => f.box)),
  );
  assert.equal(Object.keys(withFaces.faces[0].probabilities).length, 7);
  assert.deepEqual({ faces: without.faces, message: without.message }, { faces: [], message: 'no face found' });

  const drawn = decodeImage(fs.readFileSync(path.join(annotated, 'scene.faces.png')));
  assert.deepEqual([drawn.width, drawn.height], [320, 240]);
  const b = withFaces.faces[0].box;
  const at = (x: number, y: number) => Array.from(drawn.data.subarray(4 * (y * 320 + x), 4 * (y * 320 + x) + 3));
  // the box's 2-pixel bottom edge, anti-aliased at a fractional position: pure green within a pixel or two of it
  const edge = [-2, -1, 0, 1, 2].map((d) => at(Math.round(b.x + b.width / 2), Math.round(b.y + b.height) + d));
  assert.ok(
    edge.some((px) => px.join() === '0,224,112'),
    `the box is drawn in green: ${JSON.stringify(edge)}`,
  );
  assert.ok(fs.existsSync(path.join(annotated, 'grey.faces.png')));

  const refused = run(scene, '--no_detect', '--annotate', annotated);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /--annotate draws detected faces: it cannot go with --no_detect/);
});

test('--no_detect --tta none classifies the whole image exactly as predict() does on a face crop (the behaviour before detection)', async () => {
  await tf.setBackend('cpu');
  const r = run(face, '--no_detect', '--tta', 'none', '--json', '--backend', 'cpu');
  assert.equal(r.status, 0, r.stderr);
  const [p] = JSON.parse(r.stdout).predictions;
  const { model } = await loadPretrained();
  const [want] = await predict(model, [face], { tta: 'none' });
  model.dispose();
  assert.ok(want.ok);
  assert.equal(p.emotion, want.emotion);
  EMOTIONS.forEach((e, c) =>
    assert.ok(Math.abs(p.probabilities[e] - want.probabilities[c]) < 1e-6, `${e}: ${p.probabilities[e]} vs ${want.probabilities[c]}`),
  );
});

test("the README's `facial predict` example is what the command prints with the shipped model", () => {
  // Its lines, from the header to the end of that code block, with the file column set aside:
  // a new shipped model (or a change to detection, framing or --tta's default) must be pasted in.
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  const head = readme.findIndex((l) => /^file\s+face\s+box \(x y w h\)/.test(l));
  assert.ok(head > 0, 'README: no `facial predict` example table');
  const end = readme.indexOf('```', head);
  const rows = (lines: string[]) => lines.map((l) => l.trim().split(/\s+/).slice(1).join(' '));
  const want = rows(readme.slice(head + 1, end));

  const sample = readFerCsvSync(SAMPLE_CSV_PATH, { splits: ['validation'], limit: 8 }).splits.validation!;
  fs.writeFileSync(path.join(dir, 'photo.png'), pngOf(twoFaceScene(sample.pixels)));
  fs.writeFileSync(path.join(dir, 'empty.png'), encodeGrayPng(new Uint8Array(320 * 240).fill(128), 320, 240));
  const r = run('photo.png', 'empty.png');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(rows(r.stdout.trimEnd().split('\n').slice(1)), want);
});
