/**
 * The real BlazeFace from @vladmandic/human through our decoding: it finds the example face
 * (a FER2013 crop, so only with the border), finds it again where it was pasted into a larger
 * picture, finds nothing in a plain grey image, and leaks no tensors.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FaceDetector, blazeFaceModelPath } from '../../src/detection/detector';
import { readImage, toGrayscale } from '../../src/data/image-io';
import { resizeBilinear } from '../../src/data/resize';
import { iou } from '../../src/detection/nms';
import { ROOT } from '../helpers/paths';

const face = readImage(path.join(ROOT, 'examples', 'browser', 'face.png'));

test('the detector loads from node_modules/@vladmandic/human and finds faces where they are', async (t) => {
  await tf.setBackend('cpu');
  assert.match(blazeFaceModelPath(), /node_modules[\\/]@vladmandic[\\/]human[\\/]models[\\/]blazeface\.json$/);
  const detector = await FaceDetector.load();
  t.after(() => detector.dispose());

  const [found] = await detector.detect(face);
  assert.ok(found, 'the 48x48 example face, with the default border');
  assert.ok(found.score > 0.5 && found.box.width > 20 && found.box.width < 60, JSON.stringify(found.box));
  assert.equal(found.keypoints.length, 6);
  // the right eye (the subject's) is left of the left eye, both above the mouth
  assert.ok(found.keypoints[0][0] < found.keypoints[1][0] && found.keypoints[0][1] < found.keypoints[3][1]);

  // the face at 3x, pasted at (200, 40) into a 320x240 grey-gradient picture
  const big = resizeBilinear(toGrayscale(face), 48, 48, 144, 144);
  const scene = new Uint8Array(320 * 240).map((_, i) => 60 + (i % 320 >> 2));
  for (let y = 0; y < 144; y++) scene.set(big.subarray(y * 144, (y + 1) * 144), (40 + y) * 320 + 200 - 24);
  const faces = await detector.detect({ data: scene, width: 320, height: 240, channels: 1 });
  assert.equal(faces.length, 1);
  const b = faces[0].box;
  const want = {
    x1: 176 + 3 * found.box.x,
    y1: 40 + 3 * found.box.y,
    x2: 176 + 3 * (found.box.x + found.box.width),
    y2: 40 + 3 * (found.box.y + found.box.height),
  };
  assert.ok(
    iou({ x1: b.x, y1: b.y, x2: b.x + b.width, y2: b.y + b.height }, want) > 0.6,
    `${JSON.stringify(b)} vs ${JSON.stringify(want)}`,
  );

  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await detector.detect({ data: new Uint8Array(64 * 48).fill(128), width: 64, height: 48, channels: 1 }), []);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind by detect');
});
