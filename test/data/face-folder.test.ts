/**
 * loadFaceFolder (issue 21): a folder of labelled photos as train and validation sources. The
 * faces are the bytes `facial predict` classifies (real detector), the cache spares a second
 * detection and notices a changed photo, the held-out part is stratified and seeded (counts
 * computed by hand), the train/ + validation/ layout is used as given, and each bad input is a
 * clear error naming the folder or a listed skip. A stand-in detector keeps most tests fast.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadFaceFolder, folderClassNames } from '../../src/data/face-folder';
import { FaceDetector } from '../../src/detection/detector';
import type { DetectedFace } from '../../src/detection/faces';
import type { RawImage } from '../../src/data/raw-image';
import { readImage, encodeGrayPng } from '../../src/data/image-io';
import { cropSquare } from '../../src/detection/framing';
import { preprocessImage } from '../../src/evaluation/predict';
import { inputPreparation } from '../../src/data/input-preparation';
import { sampleFaces } from '../helpers/photo-folder';
import { writePhotoFolder } from '../../scripts/scenes';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'face-folder-'));
test.after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(root, `f${n++}`);

/** A detector stand-in: a face in the middle of any image that is not one flat grey, counting its calls. */
function fakeDetector(): FaceDetector & { calls: number } {
  const fake = {
    calls: 0,
    async detect(img: RawImage): Promise<DetectedFace[]> {
      fake.calls++;
      const c = img.channels;
      if (img.data.every((v, i) => i % c !== 0 || v === img.data[0])) return []; // one flat grey: no face
      const side = Math.min(img.width, img.height) / 2;
      const frame = { x: img.width / 2 - side / 2, y: img.height / 2 - side / 2, side };
      return [{ box: { x: frame.x, y: frame.y, width: side, height: side }, score: 0.9, keypoints: [], frame }];
    },
    dispose() {},
  };
  return fake as unknown as FaceDetector & { calls: number };
}

const three = (k: number) => ({
  Happy: sampleFaces(3).slice(0, k),
  Sad: sampleFaces(4).slice(0, k),
  confused: sampleFaces(2).slice(0, k),
});

test('the faces are the bytes facial predict classifies; a second run reads the cache, a changed photo is found again', async () => {
  await tf.setBackend('cpu');
  const dir = fresh();
  const files = writePhotoFolder(dir, { Happy: sampleFaces(3).slice(0, 2), Sad: sampleFaces(4).slice(0, 2) });
  const detector = await FaceDetector.load();
  try {
    const data = await loadFaceFolder(dir, { detector, validationSplit: 0, seed: 1 });
    assert.deepEqual(data.classNames, ['Happy', 'Sad']);
    assert.deepEqual(data.skipped, []);
    const ordered = [...files.Happy, ...files.Sad];
    assert.deepEqual(data.folder.files('train'), ordered);
    const { pixels, ys } = data.folder.batchPixels('train', [0, 1, 2, 3]);
    assert.deepEqual(Array.from(ys.argMax(-1).dataSync()), [0, 0, 1, 1]);
    ys.dispose();
    for (const [i, file] of ordered.entries()) {
      const img = readImage(file);
      const [face] = await detector.detect(img);
      const want = preprocessImage(cropSquare(img, face.frame), 48, inputPreparation(48)); // predictFaces' path at 48x48
      assert.deepEqual(pixels.subarray(i * 2304, (i + 1) * 2304), want, file);
    }
  } finally {
    detector.dispose();
  }
  const cached = fakeDetector(); // would give other faces: a hit must not ask it
  const again = await loadFaceFolder(dir, { detector: cached, validationSplit: 0 });
  assert.equal(cached.calls, 0);
  assert.equal(again.folder.count('train'), 4);
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(files.Sad[1], later, later);
  await loadFaceFolder(dir, { detector: cached, validationSplit: 0 });
  assert.equal(cached.calls, 1, 'only the touched photo is detected again');
  // Other settings, another cache file: without detection nothing is detected, and the bytes differ.
  const whole = await loadFaceFolder(dir, { detect: false, validationSplit: 0 });
  assert.equal(whole.folder.count('train'), 4);
  assert.equal(fs.readdirSync(path.join(dir, '.facial_cache')).length, 2);
});

test('a seeded, stratified fraction is held out: round(n * f) of each class, the rest trains', async () => {
  await tf.setBackend('cpu');
  const dir = fresh();
  writePhotoFolder(dir, { Happy: sampleFaces(3).slice(0, 10), Sad: sampleFaces(4).slice(0, 5), confused: sampleFaces(2).slice(0, 1) });
  const a = await loadFaceFolder(dir, { detector: fakeDetector(), validationSplit: 0.25, seed: 3 });
  // Happy: round(10 * 0.25) = 3 (2.5 rounds up); Sad: round(1.25) = 1; confused: one face, none can be held out.
  assert.deepEqual(a.counts, { train: [7, 4, 1], validation: [3, 1, 0] });
  assert.equal(a.train.numBatches, Math.ceil(12 / 32));
  assert.deepEqual(a.train.classNames, ['Happy', 'Sad', 'confused']);
  assert.match(
    a.summary,
    /Happy 7\+3, Sad 4\+1, confused 1\+0; 16 photos, none skipped; validation: 25% of each class held out \(seed 3\)/,
  );
  const held = (d: typeof a) => d.folder.files('validation').join();
  assert.equal(held(await loadFaceFolder(dir, { detector: fakeDetector(), validationSplit: 0.25, seed: 3 })), held(a));
  assert.notEqual(held(await loadFaceFolder(dir, { detector: fakeDetector(), validationSplit: 0.25, seed: 4 })), held(a));
  // train/ and validation/ given: used as they are, nothing held out of train/.
  const split = fresh();
  writePhotoFolder(path.join(split, 'train'), three(3));
  writePhotoFolder(path.join(split, 'validation'), three(2));
  const b = await loadFaceFolder(split, { detector: fakeDetector() });
  assert.deepEqual(b.counts, { train: [3, 3, 3], validation: [2, 2, 2] });
  assert.match(b.summary, /validation from validation\//);
  // FER2013's seven names (any case) keep FER2013's order, so the shipped head is kept.
  const fer = fresh();
  const all = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
  for (const c of all) {
    fs.mkdirSync(path.join(fer, c), { recursive: true });
    fs.writeFileSync(path.join(fer, c, '1.png'), '');
  }
  assert.deepEqual(folderClassNames(fer), ['Angry', 'Disgust', 'Fear', 'Happy', 'Sad', 'Surprise', 'Neutral']);
});

test('bad input: each a clear error naming the folder, or a listed skip', async () => {
  await tf.setBackend('cpu');
  const load = (dir: string) => loadFaceFolder(dir, { detector: fakeDetector() });

  await assert.rejects(load(path.join(root, 'missing')), /missing: no such folder/);
  const empty = fresh();
  writePhotoFolder(empty, { Happy: sampleFaces(3).slice(0, 2) });
  fs.mkdirSync(path.join(empty, 'Sad'));
  await assert.rejects(load(empty), new RegExp(`${path.join(empty, 'Sad')}: empty class folder`));

  const single = fresh();
  writePhotoFolder(single, { Happy: sampleFaces(3).slice(0, 2) });
  await assert.rejects(load(single), /only one class folder \(Happy\): a classifier needs at least two classes/);

  const noClasses = fresh();
  fs.mkdirSync(noClasses);
  fs.writeFileSync(path.join(noClasses, 'a.png'), encodeGrayPng(new Uint8Array(64).fill(9), 8, 8));
  await assert.rejects(load(noClasses), /no class folders \(expected one subfolder per class/);

  // Unreadable photos and photos without a face: skipped, listed with the reason, counted.
  const mixed = fresh();
  writePhotoFolder(mixed, three(2));
  fs.writeFileSync(path.join(mixed, 'Happy', 'notes.txt'), 'not a photo');
  fs.writeFileSync(path.join(mixed, 'Sad', 'empty.png'), '');
  fs.writeFileSync(path.join(mixed, 'Sad', 'grey.png'), encodeGrayPng(new Uint8Array(80 * 60).fill(128), 80, 60));
  const m = await load(mixed);
  assert.deepEqual(
    m.skipped.map((s) => [path.relative(mixed, s.file), s.reason.replace(/:.*/, '')]),
    [
      ['Happy/notes.txt', m.skipped[0].reason.replace(/:.*/, '')],
      ['Sad/empty.png', m.skipped[1].reason.replace(/:.*/, '')],
      ['Sad/grey.png', 'no face found'],
    ],
  );
  assert.match(m.skipped[1].reason, /empty file/);
  assert.match(m.summary, /9 photos, 3 skipped \(2 unreadable, 1 no face found\)/);
  assert.deepEqual(
    m.counts.train!.map((c, i) => c + (m.counts.validation?.[i] ?? 0)),
    [2, 2, 2],
  );

  // A class, or the whole folder, without a single face.
  const faceless = fresh();
  for (const c of ['a', 'b']) {
    fs.mkdirSync(path.join(faceless, c), { recursive: true });
    fs.writeFileSync(path.join(faceless, c, '1.png'), encodeGrayPng(new Uint8Array(64 * 64).fill(100), 64, 64));
  }
  await assert.rejects(load(faceless), /no face found in any of its 2 photos \(for a folder of face crops, --no_detect/);
  writePhotoFolder(faceless, { a: sampleFaces(3).slice(0, 1) });
  await assert.rejects(load(faceless), new RegExp(`${path.join(faceless, 'b')}: none of its 1 photos gave a face`));

  // Class names that differ between train/ and validation/, and layouts that mix.
  const differ = fresh();
  writePhotoFolder(path.join(differ, 'train'), three(1));
  writePhotoFolder(path.join(differ, 'validation'), {
    Happy: sampleFaces(3).slice(0, 1),
    Sad: sampleFaces(4).slice(0, 1),
    bored: sampleFaces(6).slice(0, 1),
  });
  await assert.rejects(
    load(differ),
    /the class folders of validation\/ differ from train\/'s: only in train\/: confused; only in validation\/: bored/,
  );
  writePhotoFolder(path.join(differ, 'extra'), { x: sampleFaces(3).slice(0, 1) });
  await assert.rejects(load(differ), /mixes train\/ with other folders \(extra\)/);
  const noTrain = fresh();
  writePhotoFolder(path.join(noTrain, 'validation'), three(1));
  await assert.rejects(load(noTrain), /has validation\/ but no train\//);
  await assert.rejects(loadFaceFolder(differ, { validationSplit: 1 }), /--validation_split must be a fraction/);
  // Scored by a model's classes: a folder class the model lacks is named.
  await assert.rejects(
    loadFaceFolder(mixed, { detector: fakeDetector(), classNames: ['Happy', 'Sad'] }),
    /class folder confused not among the model's classes \(Happy, Sad\)/,
  );
});
