/**
 * Flip averaging (models/tta.ts) against the two passes done by hand: the model on each face and
 * on its mirror, built here column by column, averaged. A left-right symmetric face is its own
 * mirror, so there the answer must not change. Checked through the three callers: the predictor
 * wrapper, predict() on decoded images and evaluateModel (with the plain report beside it).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withTestTimeAugmentation } from '../../src/models/tta';
import { predict } from '../../src/evaluation/predict';
import { evaluateModel, EvaluationData } from '../../src/evaluation/verify';
import { classificationReport } from '../../src/metrics';
import type { RawImage } from '../../src/data/image-io';
import { tinyClassifier } from '../helpers/tiny';

const SIDE = 8;

function tinyModel(): tf.LayersModel {
  return tinyClassifier(SIDE, { filters: 3, kernelSize: 3, seed: 5 });
}

/** n pseudo-random faces in -0.5..0.5, [n, SIDE, SIDE] row-major. */
function faces(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n * SIDE * SIDE }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
}

/** Columns reversed, face by face, in plain JS. */
function mirrored(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < SIDE; r++)
      for (let c = 0; c < SIDE; c++) out[(i * SIDE + r) * SIDE + c] = x[(i * SIDE + r) * SIDE + (SIDE - 1 - c)];
  return out;
}

function modelOn(model: tf.LayersModel, x: Float32Array, n: number): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor4d(x, [n, SIDE, SIDE, 1])) as tf.Tensor).dataSync() as Float32Array);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
}

test('flip: the mean of the model on each face and on its mirror, done by hand; none: the model itself; no tensor left behind', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  const n = 5;
  const x = faces(n, 7);
  const plain = modelOn(model, x, n);
  const byHand = modelOn(model, mirrored(x, n), n).map((v, i) => (v + plain[i]) / 2);
  assert.ok(
    byHand.some((v, i) => Math.abs(v - plain[i]) > 1e-4),
    'the faces must not be symmetric for this test to mean anything',
  );
  const base = { predict: (t: tf.Tensor) => model.predict(t) as tf.Tensor, dispose: () => undefined };
  const xs = tf.tensor4d(x, [n, SIDE, SIDE, 1]);
  const before = tf.memory().numTensors;
  const flip = withTestTimeAugmentation(base, 'flip').predict(xs);
  assert.equal(tf.memory().numTensors, before + 1, 'only the answer stays');
  assertClose(await flip.data(), byHand);
  assert.equal(withTestTimeAugmentation(base, 'none'), base);
  assert.throws(() => withTestTimeAugmentation(base, 'rotate' as 'flip'), /tta must be one of none, flip, got 'rotate'/);
  tf.dispose([flip, xs]);
  model.dispose();
});

test('predict: tta flip gives the hand-made mean on an asymmetric image and the plain answer on a symmetric one', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  const bytes = (f: (r: number, c: number) => number): RawImage => {
    const data = new Uint8Array(SIDE * SIDE * 4);
    for (let r = 0; r < SIDE; r++)
      for (let c = 0; c < SIDE; c++) {
        const v = f(r, c);
        data.set([v, v, v, 255], (r * SIDE + c) * 4);
      }
    return { width: SIDE, height: SIDE, channels: 4, data };
  };
  const asymmetric = bytes((r, c) => (r * 37 + c * c * 11) % 256);
  const symmetric = bytes((r, c) => (r * 29 + Math.min(c, SIDE - 1 - c) * 53) % 256);
  const [none, flip] = await Promise.all([
    // stretch off: the images are fed as they are (an 8-px model would otherwise get them bytescaled)
    predict(model, [asymmetric, symmetric], { tta: 'none', stretch: false }),
    predict(model, [asymmetric, symmetric], { tta: 'flip', stretch: false }),
  ]);
  const probs = (r: (typeof none)[number]) => (r.ok ? r.probabilities : assert.fail(r.error));
  // By hand: the image's x/255 - 0.5 and its mirror through the model.
  const x = Float32Array.from({ length: SIDE * SIDE }, (_, i) => asymmetric.data[i * 4] / 255 - 0.5);
  const plain = modelOn(model, x, 1);
  const byHand = modelOn(model, mirrored(x, 1), 1).map((v, i) => (v + plain[i]) / 2);
  assertClose(probs(none[0]), plain);
  assertClose(probs(flip[0]), byHand);
  assertClose(probs(flip[1]), probs(none[1]));
  model.dispose();
});

test('evaluateModel with tta flip: predictions from the averaged probabilities, `plain` equal to a run without it', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  const n = 23;
  const x = faces(n, 11);
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 5) % 7);
  const data: EvaluationData = {
    count: () => n,
    labels: () => labels,
    batch: (_split, indices) => {
      const idx = Array.from(indices);
      const xs = tf.tensor4d(
        idx.flatMap((i) => Array.from(x.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE))),
        [idx.length, SIDE, SIDE, 1],
      );
      return {
        xs,
        ys: tf.tidy(
          () =>
            tf.oneHot(
              tf.tensor1d(
                idx.map((i) => labels[i]),
                'int32',
              ),
              7,
            ) as tf.Tensor2D,
        ),
      };
    },
  };
  const plain = modelOn(model, x, n);
  const averaged = modelOn(model, mirrored(x, n), n).map((v, i) => (v + plain[i]) / 2);
  const argmax = (p: Float32Array) =>
    Array.from({ length: n }, (_, i) => Array.from(p.subarray(i * 7, i * 7 + 7)).reduce((b, v, c, a) => (v > a[b] ? c : b), 0));
  const before = tf.memory().numTensors;
  const flip = (await evaluateModel(model, data, ['test'], { batchSize: 4, tta: 'flip' })).test!;
  const none = (await evaluateModel(model, data, ['test'], { batchSize: 4 })).test!;
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(Array.from(flip.yPred), argmax(averaged));
  assert.notDeepEqual(argmax(averaged), argmax(plain), 'flip must change some prediction for this test to mean anything');
  assert.deepEqual(flip.confusion, classificationReport(labels, Uint8Array.from(argmax(averaged))).confusion);
  assert.deepEqual(flip.plain!.confusion, none.confusion);
  assert.equal(flip.plain!.accuracy, none.accuracy);
  assert.equal(none.plain, undefined);
  await assert.rejects(evaluateModel(model, data, ['test'], { tta: 'both' as 'flip' }), /evaluateModel: tta must be one of none, flip/);
  model.dispose();
});
