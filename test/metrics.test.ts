/**
 * classificationReport against numbers computed once by scikit-learn 1.2.1 (Debian's
 * python3-sklearn) and pasted here next to the vectors. The snippet that produced them:
 *
 *   import warnings; warnings.simplefilter('ignore')
 *   from sklearn.metrics import precision_recall_fscore_support as prfs, accuracy_score, confusion_matrix
 *   L = list(range(7))
 *   P, R, F, S = prfs(t, p, labels=L)                      # per class, zero_division='warn' -> 0
 *   prfs(t, p, labels=L, average='macro')[:3]; prfs(t, p, labels=L, average='weighted')[:3]
 *   accuracy_score(t, p); confusion_matrix(t, p, labels=L).tolist()
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  argmaxRows,
  classificationReport,
  classificationReportFrom,
  ConfusionAccumulator,
  formatClassificationReport,
  toClassIds,
} from '../src/metrics';

interface Case {
  yTrue: number[];
  yPred: number[];
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  weighted: { precision: number; recall: number; f1: number };
  P: number[];
  R: number[];
  F: number[];
  S: number[];
  confusion: number[][];
}

const SKLEARN: Record<string, Case> = {
  mixed: {
    yTrue: [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6],
    yPred: [0, 2, 0, 1, 0, 2, 2, 4, 6, 3, 3, 3, 0, 3, 4, 6, 4, 5, 2, 6, 6, 4],
    accuracy: 0.6363636363636364,
    precision: 0.7142857142857143,
    recall: 0.6142857142857142,
    f1: 0.6337868480725624,
    weighted: { precision: 0.7045454545454546, recall: 0.6363636363636364, f1: 0.6479076479076479 },
    P: [0.5, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5],
    R: [0.6666666666666666, 0.5, 0.5, 0.8, 0.6666666666666666, 0.5, 0.6666666666666666],
    F: [0.5714285714285715, 0.6666666666666666, 0.5, 0.888888888888889, 0.5714285714285715, 0.6666666666666666, 0.5714285714285715],
    S: [3, 2, 4, 5, 3, 2, 3],
    confusion: [
      [2, 0, 1, 0, 0, 0, 0],
      [1, 1, 0, 0, 0, 0, 0],
      [0, 0, 2, 0, 1, 0, 1],
      [1, 0, 0, 4, 0, 0, 0],
      [0, 0, 0, 0, 2, 0, 1],
      [0, 0, 1, 0, 0, 1, 0],
      [0, 0, 0, 0, 1, 0, 2],
    ],
  },
  // Class 1 (Disgust) is in yTrue but never predicted: precision 0/0 -> 0.
  neverPredicted: {
    yTrue: [0, 1, 1, 2, 3, 3, 3, 4, 5, 6, 6, 2],
    yPred: [0, 0, 2, 2, 3, 3, 6, 4, 5, 6, 3, 2],
    accuracy: 0.6666666666666666,
    precision: 0.619047619047619,
    recall: 0.738095238095238,
    f1: 0.6619047619047619,
    weighted: { precision: 0.5694444444444444, recall: 0.6666666666666666, f1: 0.6055555555555555 },
    P: [0.5, 0.0, 0.6666666666666666, 0.6666666666666666, 1.0, 1.0, 0.5],
    R: [1.0, 0.0, 1.0, 0.6666666666666666, 1.0, 1.0, 0.5],
    F: [0.6666666666666666, 0.0, 0.8, 0.6666666666666666, 1.0, 1.0, 0.5],
    S: [1, 2, 2, 3, 1, 1, 2],
    confusion: [
      [1, 0, 0, 0, 0, 0, 0],
      [1, 0, 1, 0, 0, 0, 0],
      [0, 0, 2, 0, 0, 0, 0],
      [0, 0, 0, 2, 0, 0, 1],
      [0, 0, 0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0, 1, 0],
      [0, 0, 0, 1, 0, 0, 1],
    ],
  },
  // Class 5 (Surprise) has no true sample but is predicted twice: it still counts in the macro mean.
  absent: {
    yTrue: [0, 0, 1, 2, 2, 3, 3, 4, 6, 6],
    yPred: [0, 5, 1, 2, 0, 3, 3, 4, 6, 5],
    accuracy: 0.7,
    precision: 0.7857142857142857,
    recall: 0.6428571428571429,
    f1: 0.6904761904761905,
    weighted: { precision: 0.9, recall: 0.7, f1: 0.7666666666666666 },
    P: [0.5, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0],
    R: [0.5, 1.0, 0.5, 1.0, 1.0, 0.0, 0.5],
    F: [0.5, 1.0, 0.6666666666666666, 1.0, 1.0, 0.0, 0.6666666666666666],
    S: [2, 1, 2, 2, 1, 0, 2],
    confusion: [
      [1, 0, 0, 0, 0, 1, 0],
      [0, 1, 0, 0, 0, 0, 0],
      [1, 0, 1, 0, 0, 0, 0],
      [0, 0, 0, 2, 0, 0, 0],
      [0, 0, 0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 1, 1],
    ],
  },
  // Classes 4, 5, 6 neither true nor predicted: all their scores are 0 and they pull the macro mean down.
  absentFromBoth: {
    yTrue: [0, 1, 2, 3, 0, 1, 3, 3],
    yPred: [0, 1, 2, 2, 1, 1, 3, 0],
    accuracy: 0.625,
    precision: 0.38095238095238093,
    recall: 0.40476190476190477,
    f1: 0.3523809523809524,
    weighted: { precision: 0.7291666666666666, recall: 0.625, f1: 0.5958333333333333 },
    P: [0.5, 0.6666666666666666, 0.5, 1.0, 0.0, 0.0, 0.0],
    R: [0.5, 1.0, 1.0, 0.3333333333333333, 0.0, 0.0, 0.0],
    F: [0.5, 0.8, 0.6666666666666666, 0.5, 0.0, 0.0, 0.0],
    S: [2, 2, 1, 3, 0, 0, 0],
    confusion: [
      [1, 1, 0, 0, 0, 0, 0],
      [0, 2, 0, 0, 0, 0, 0],
      [0, 0, 1, 0, 0, 0, 0],
      [1, 0, 1, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0],
    ],
  },
};

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} != sklearn ${expected}`);

for (const [name, c] of Object.entries(SKLEARN)) {
  test(`classificationReport matches sklearn: ${name}`, () => {
    const r = classificationReport(c.yTrue, c.yPred);
    close(r.accuracy, c.accuracy, 'accuracy');
    close(r.precision, c.precision, 'macro precision');
    close(r.recall, c.recall, 'macro recall');
    close(r.f1, c.f1, 'macro f1');
    close(r.weighted.precision, c.weighted.precision, 'weighted precision');
    close(r.weighted.recall, c.weighted.recall, 'weighted recall');
    close(r.weighted.f1, c.weighted.f1, 'weighted f1');
    assert.equal(r.perClass.length, 7);
    r.perClass.forEach((s, i) => {
      close(s.precision, c.P[i], `precision[${i}]`);
      close(s.recall, c.R[i], `recall[${i}]`);
      close(s.f1, c.F[i], `f1[${i}]`);
      assert.equal(s.support, c.S[i], `support[${i}]`);
    });
    assert.deepEqual(r.confusion, c.confusion);
    assert.equal(r.support, c.yTrue.length);
  });
}

test('the report names never-predicted and absent classes', () => {
  assert.deepEqual(classificationReport(SKLEARN.neverPredicted.yTrue, SKLEARN.neverPredicted.yPred).neverPredicted, [1]);
  assert.deepEqual(classificationReport(SKLEARN.neverPredicted.yTrue, SKLEARN.neverPredicted.yPred).absentFromTrue, []);
  const absent = classificationReport(SKLEARN.absent.yTrue, SKLEARN.absent.yPred);
  assert.deepEqual(absent.absentFromTrue, [5]);
  assert.deepEqual(absent.neverPredicted, []);
  const both = classificationReport(SKLEARN.absentFromBoth.yTrue, SKLEARN.absentFromBoth.yPred);
  assert.deepEqual(both.absentFromTrue, [4, 5, 6]);
  assert.deepEqual(both.neverPredicted, [4, 5, 6]);
  const text = formatClassificationReport(classificationReport(SKLEARN.neverPredicted.yTrue, SKLEARN.neverPredicted.yPred));
  assert.match(text, /never predicted \(precision set to 0\): Disgust/);
});

test('plain-text report has the layout of sklearn classification_report', () => {
  // print(classification_report(t, p, labels=L, target_names=[...EMOTIONS], zero_division=0)) for the
  // neverPredicted vectors, as sklearn 1.2.1 printed it:
  const expected = [
    '              precision    recall  f1-score   support',
    '',
    '       Angry       0.50      1.00      0.67         1',
    '     Disgust       0.00      0.00      0.00         2',
    '        Fear       0.67      1.00      0.80         2',
    '       Happy       0.67      0.67      0.67         3',
    '         Sad       1.00      1.00      1.00         1',
    '    Surprise       1.00      1.00      1.00         1',
    '     Neutral       0.50      0.50      0.50         2',
    '',
    '    accuracy                           0.67        12',
    '   macro avg       0.62      0.74      0.66        12',
    'weighted avg       0.57      0.67      0.61        12',
  ].join('\n');
  const text = formatClassificationReport(classificationReport(SKLEARN.neverPredicted.yTrue, SKLEARN.neverPredicted.yPred));
  assert.equal(text.split('\n').slice(0, 13).join('\n'), expected);
});

test('accumulating batches gives the same report as all at once', () => {
  const c = SKLEARN.mixed;
  const acc = new ConfusionAccumulator(7);
  for (let i = 0; i < c.yTrue.length; i += 5) acc.update(c.yTrue.slice(i, i + 5), c.yPred.slice(i, i + 5));
  assert.deepEqual(acc.report(), classificationReport(c.yTrue, c.yPred));
});

test('works from tensors: one-hot truth and probability predictions', async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const c = SKLEARN.absent;
  const truth = tf.tidy(() => tf.oneHot(tf.tensor1d(c.yTrue, 'int32'), 7));
  // Probabilities whose largest entry is the predicted class, with the rest spread unevenly.
  const probs = tf.tensor2d(c.yPred.map((p, i) => Array.from({ length: 7 }, (_, j) => (j === p ? 0.5 : ((i + j) % 5) / 50))));
  const r = classificationReportFrom(truth, probs);
  close(r.precision, c.precision, 'macro precision');
  close(r.f1, c.f1, 'macro f1');
  assert.deepEqual(r.confusion, c.confusion);
  const ids = tf.tensor1d(c.yTrue, 'int32');
  assert.deepEqual(Array.from(toClassIds(ids)), c.yTrue);
  tf.dispose([truth, probs, ids]);
  assert.equal(tf.memory().numTensors, before);
});

test('argmaxRows: ties go to the lowest index, as numpy', () => {
  assert.deepEqual(
    Array.from(
      argmaxRows(
        [
          [0.2, 0.5, 0.5],
          [1, 0, 1],
          [0, 0, 0],
        ],
        3,
      ),
    ),
    [1, 0, 0],
  );
  assert.deepEqual(Array.from(argmaxRows(new Float32Array([0, 1, 0, 3, 2, 1]), 3)), [1, 0]);
});

test('bad labels are rejected with the offending index', () => {
  assert.throws(() => classificationReport([0, 1, 7], [0, 1, 2]), /yTrue\[2\] = 7/);
  assert.throws(() => classificationReport([0, 1], [0, 1, 2]), /2 labels but yPred has 3/);
  assert.throws(() => classificationReport([0, 1.5], [0, 1]), /yTrue\[1\] = 1.5/);
});
