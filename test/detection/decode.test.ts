/**
 * BlazeFace decoding against values worked out by hand: the anchors of a small grid, a box and
 * keypoints from a known raw output, the sigmoid's clipping, NMS on hand-made boxes (and the
 * same boxes through tf.image.nonMaxSuppressionAsync), and the weighted blend of a cluster.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BLAZEFACE_LAYERS, anchorCentres } from '../../src/detection/anchors';
import { REGRESSORS, decodeBox, decodeFaces, decodeKeypoints, joinOutputs, sigmoid } from '../../src/detection/decode';
import { iou, nmsClusters, nonMaxSuppression } from '../../src/detection/nms';

const close = (got: number, want: number, what: string, tol = 1e-6) => assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);

test('anchors of a 64-pixel input with a 2x2 map (2 a cell) and a 1x1 map (1 a cell)', () => {
  const a = Array.from(
    anchorCentres(64, [
      { stride: 32, perCell: 2 },
      { stride: 64, perCell: 1 },
    ]),
  );
  // row by row, column by column, then the anchors of one cell; centres at (cell + 0.5) * stride
  assert.deepEqual(a, [16, 16, 16, 16, 48, 16, 48, 16, 16, 48, 16, 48, 48, 48, 48, 48, 32, 32]);
});

test("BlazeFace back's anchors: 16*16*2 + 8*8*6 = 896, the second map starting at index 512", () => {
  const a = anchorCentres(256, BLAZEFACE_LAYERS);
  assert.equal(a.length, 896 * 2);
  assert.deepEqual([a[0], a[1], a[2], a[3], a[4], a[5]], [8, 8, 8, 8, 24, 8]);
  assert.deepEqual([a[2 * 511], a[2 * 511 + 1]], [248, 248]);
  assert.deepEqual([a[2 * 512], a[2 * 512 + 1]], [16, 16]);
  assert.deepEqual([a[2 * 895], a[2 * 895 + 1]], [240, 240]);
});

test('a box and its keypoints from a known raw output', () => {
  const anchors = [100, 100, 8, 8];
  const regressors = new Float32Array(2 * REGRESSORS);
  regressors.set([2, -1, 10, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], REGRESSORS); // anchor 1
  // centre (8 + 2, 8 - 1) = (10, 7); 10 wide, 20 high
  assert.deepEqual(decodeBox(regressors, anchors, 1), { x1: 5, y1: -3, x2: 15, y2: 17 });
  assert.deepEqual(decodeKeypoints(regressors, anchors, 1), [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
});

test('sigmoid, with the logit clipped to [-100, 100] as MediaPipe does', () => {
  close(sigmoid(0), 0.5, 'sigmoid(0)');
  close(sigmoid(Math.log(3)), 0.75, 'sigmoid(ln 3)');
  assert.equal(sigmoid(-1000), 1 / (1 + Math.exp(100)));
  assert.ok(sigmoid(-1000) > 0);
});

test('IoU of hand-made boxes', () => {
  close(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 5, y1: 0, x2: 15, y2: 10 }), 50 / 150, 'half overlap');
  assert.equal(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 10, y1: 0, x2: 20, y2: 10 }), 0);
  assert.equal(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 0, y1: 0, x2: 10, y2: 10 }), 1);
});

const BOXES = [
  { x1: 0, y1: 0, x2: 10, y2: 10 }, // A 0.9
  { x1: 0, y1: 0, x2: 10, y2: 9 }, // B 0.8, IoU with A 0.9
  { x1: 20, y1: 20, x2: 30, y2: 30 }, // C 0.7, apart
  { x1: 5, y1: 0, x2: 15, y2: 10 }, // D 0.6, IoU with A 1/3
];
const SCORES = [0.9, 0.8, 0.7, 0.6];

test('NMS on hand-made boxes: thresholds, minimum score, maximum count', () => {
  assert.deepEqual(nonMaxSuppression(BOXES, SCORES, 0.3, 0), [0, 2]); // D's 1/3 > 0.3: suppressed
  assert.deepEqual(nonMaxSuppression(BOXES, SCORES, 0.5, 0), [0, 2, 3]);
  assert.deepEqual(nonMaxSuppression(BOXES, SCORES, 0.5, 0.65), [0, 2]);
  assert.deepEqual(nonMaxSuppression(BOXES, SCORES, 0.5, 0, 1), [0]);
  assert.deepEqual(nmsClusters(BOXES, SCORES, 0.3, 0), [
    { index: 0, members: [0, 1, 3] },
    { index: 2, members: [2] },
  ]);
});

test('NMS keeps what tf.image.nonMaxSuppressionAsync keeps', async () => {
  await tf.setBackend('cpu');
  for (const [threshold, minScore] of [
    [0.3, 0],
    [0.5, 0],
    [0.5, 0.65],
  ]) {
    const boxes = tf.tensor2d(BOXES.map((b) => [b.y1, b.x1, b.y2, b.x2]));
    const scores = tf.tensor1d(SCORES);
    const kept = await tf.image.nonMaxSuppressionAsync(boxes, scores, 10, threshold, minScore);
    assert.deepEqual(nonMaxSuppression(BOXES, SCORES, threshold, minScore), Array.from(await kept.data()));
    tf.dispose([boxes, scores, kept]);
  }
});

test('decodeFaces: a cluster becomes the score-weighted mean of its boxes and keypoints', () => {
  const anchors = [0, 0, 0, 0, 0, 0];
  const regressors = new Float32Array(3 * REGRESSORS);
  regressors.set([5, 5, 10, 10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0); // [0,0,10,10], score 0.75
  regressors.set([6, 6, 10, 10, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], REGRESSORS); // [1,1,11,11], score 0.5
  regressors.set([100, 100, 10, 10], 2 * REGRESSORS); // far away, but scores 0.1
  const logits = [Math.log(3), 0, Math.log(1 / 9)];
  const faces = decodeFaces(logits, regressors, anchors, { minScore: 0.4, iouThreshold: 0.3 });
  assert.equal(faces.length, 1);
  const f = faces[0];
  close(f.score, 0.75, 'score of the best member');
  close(f.x1, (0.75 * 0 + 0.5 * 1) / 1.25, 'x1');
  close(f.y1, 0.4, 'y1');
  close(f.x2, (0.75 * 10 + 0.5 * 11) / 1.25, 'x2');
  close(f.keypoints[0], (0.75 * 2 + 0.5 * 4) / 1.25, 'first keypoint x');
  assert.equal(decodeFaces(logits, regressors, anchors, { minScore: 0.05 }).length, 2);
  assert.throws(() => decodeFaces([0], regressors, anchors), /do not match/);
});

test('joinOutputs puts the 512-anchor map first, whatever order the graph returns', () => {
  const part = (anchors: number, width: number, v: number) => ({
    shape: [1, anchors, width],
    data: new Float32Array(anchors * width).fill(v),
  });
  const { logits, regressors } = joinOutputs([part(384, 16, 4), part(512, 1, 1), part(384, 1, 2), part(512, 16, 3)]);
  assert.deepEqual([logits[0], logits[511], logits[512], logits[895]], [1, 1, 2, 2]);
  assert.deepEqual([regressors[0], regressors[512 * 16 - 1], regressors[512 * 16], regressors[896 * 16 - 1]], [3, 3, 4, 4]);
  assert.throws(() => joinOutputs([part(512, 1, 0)]), /no output of shape \[1, 384, 1\]/);
});
