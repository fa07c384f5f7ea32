/**
 * predictFaces: the faces of a picture, largest first, each classified exactly as `predict`
 * classifies its FER2013-framed crop; no face, an unreadable file, and no tensor left behind.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { predictFaces } from '../../src/evaluation/predict-faces';
import { predict } from '../../src/evaluation/predict';
import { readImage, toGrayscale } from '../../src/data/image-io';
import { readFerCsvSync } from '../../src/data/fer-csv';
import { FaceDetector } from '../../src/detection/detector';
import { cropSquare } from '../../src/detection/framing';
import { iou } from '../../src/detection/nms';
import { SAMPLE_CSV_PATH } from '../../src/facial';
import { background, pasteFace } from '../../scripts/scenes';
import { ROOT } from '../helpers/paths';
import { tinyClassifier } from '../helpers/tiny';

function model48(): tf.LayersModel {
  return tinyClassifier(48, { filters: 2, kernelSize: 5, strides: 4, seed: 3 });
}

test('two pasted faces: found largest first, each scored as predict scores its framed crop', async (t) => {
  await tf.setBackend('cpu');
  const model = model48();
  const detector = await FaceDetector.load();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-faces-'));
  t.after(() => {
    model.dispose();
    detector.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const example = toGrayscale(readImage(path.join(ROOT, 'examples', 'browser', 'face.png')));
  const happy = readFerCsvSync(SAMPLE_CSV_PATH, { splits: ['validation'], limit: 30 }).splits.validation!;
  const second = happy.pixels.subarray(3 * 2304, 4 * 2304);
  const scene = background(320, 240, 7);
  const big = pasteFace(scene, example, 190, 30, 120);
  const small = pasteFace(scene, second, 30, 120, 80);
  const bad = path.join(dir, 'notes.png');
  fs.writeFileSync(bad, 'not an image');
  const grey = { data: new Uint8Array(100 * 80).fill(128), width: 100, height: 80, channels: 1 as const };

  const before = tf.memory().numTensors;
  const [withFaces, without, failed] = await predictFaces(model, [scene, grey, bad], { detector });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');

  assert.ok(withFaces.ok);
  assert.equal(withFaces.faces.length, 2);
  const asCorners = (s: { x: number; y: number; side: number }) => ({ x1: s.x, y1: s.y, x2: s.x + s.side, y2: s.y + s.side });
  [big, small].forEach((pasted, i) => {
    const b = withFaces.faces[i].box;
    const overlap = iou(asCorners(pasted), { x1: b.x, y1: b.y, x2: b.x + b.width, y2: b.y + b.height });
    assert.ok(overlap > 0.35, `face ${i}: box ${JSON.stringify(b)} vs pasted ${JSON.stringify(pasted)} (IoU ${overlap})`);
  });
  const crops = withFaces.faces.map((f) => cropSquare(scene, f.frame));
  const direct = await predict(model, crops);
  withFaces.faces.forEach((f, i) => {
    const d = direct[i];
    assert.ok(d.ok);
    assert.equal(f.emotion, d.emotion);
    f.probabilities.forEach((p, c) => assert.ok(Math.abs(p - d.probabilities[c]) < 1e-6, `face ${i} class ${c}`));
  });

  assert.deepEqual(without, { ok: true, source: 'image[1]', width: 100, height: 80, faces: [] });
  assert.ok(!failed.ok && failed.error.startsWith(`${bad}: not a PNG or JPEG file`), JSON.stringify(failed));
});
