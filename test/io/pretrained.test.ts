/**
 * The model shipped in models/fer2013-resnet50-48/: it loads with loadPretrained(), scores the
 * embedded sample's PrivateTest rows exactly as its model card records (so a broken, truncated
 * or swapped file fails here), and `facial predict` / `facial verify` use it when no model is named.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadPretrained, PRETRAINED_MODEL_DIR } from '../../src/io/pretrained';
import { Facial, SAMPLE_CSV_PATH } from '../../src/facial';
import { evaluateModel } from '../../src/evaluation/verify';
import { predict } from '../../src/evaluation/predict';
import { EMOTIONS } from '../../src/data/emotions';
import { ROOT } from '../helpers/paths';
import { runCli } from '../helpers/cli';

const card = fs.readFileSync(path.join(PRETRAINED_MODEL_DIR, 'MODEL_CARD.md'), 'utf8');

test("the shipped model scores the sample's PrivateTest rows as its model card says", async () => {
  await tf.setBackend('cpu');
  const m = /PrivateTest rows of data\/fer2013-sample\.csv\.gz the model scores\s+(\d+) of (\d+)/.exec(card);
  assert.ok(m, 'the card records the sample score');
  const { model, imageSize, format } = await loadPretrained();
  assert.deepEqual([imageSize, format], [48, 'tfjs']);
  const facial = await Facial.load({ csvPath: SAMPLE_CSV_PATH, splits: ['test'], compact: true });
  const r = (await evaluateModel(model, facial, ['test'])).test!;
  assert.equal(r.support, Number(m[2]));
  assert.equal(Math.round(r.accuracy * r.support), Number(m[1]));
  model.dispose();
});

const run = (...args: string[]) => runCli(args);

test('facial predict with no --model uses the shipped model and prints the emotion and the seven probabilities', () => {
  const face = path.join(ROOT, 'examples', 'browser', 'face.png');
  const r = run('predict', face, '--no_detect', '--json', '--backend', 'cpu'); // the face crop as a whole: one prediction
  assert.equal(r.status, 0, r.stderr);
  const { predictions } = JSON.parse(r.stdout) as { predictions: Array<{ emotion: string; probabilities: Record<string, number> }> };
  assert.equal(predictions.length, 1);
  const p = predictions[0].probabilities;
  assert.deepEqual(Object.keys(p), [...EMOTIONS]);
  assert.ok(Math.abs(Object.values(p).reduce((a, b) => a + b, 0) - 1) < 1e-4);
  assert.equal(predictions[0].emotion, Object.entries(p).sort((a, b) => b[1] - a[1])[0][0]);
});

test("loadPretrained's classify averages each face with its mirror unless told otherwise", async () => {
  await tf.setBackend('cpu');
  const face = path.join(ROOT, 'examples', 'browser', 'face.png');
  const pretrained = await loadPretrained();
  const [byDefault] = await pretrained.classify([face]);
  const [none] = await pretrained.classify([face], { tta: 'none' });
  const [flip] = await predict(pretrained.model, [face], { tta: 'flip' });
  const [plain] = await predict(pretrained.model, [face]);
  assert.ok(byDefault.ok && none.ok && flip.ok && plain.ok);
  assert.deepEqual(byDefault.probabilities, flip.probabilities);
  assert.deepEqual(none.probabilities, plain.probabilities);
  assert.ok(
    flip.probabilities.some((p, c) => Math.abs(p - plain.probabilities[c]) > 1e-4),
    'the mirror changes the answer',
  );
  pretrained.model.dispose();
});
