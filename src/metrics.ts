/**
 * Classification metrics, computed exactly as scikit-learn's
 * `precision_recall_fscore_support(y_true, y_pred, labels=list(range(7)))`,
 * `accuracy_score` and `confusion_matrix(..., labels=list(range(7)))` do.
 *
 * Conventions (chosen to match sklearn called with `labels=list(range(numClasses))`,
 * which is what the seed's verify_model.py effectively measured on FER2013, where every
 * class occurs in every split):
 *  - A class that is never predicted has precision 0/0, which sklearn's default
 *    `zero_division="warn"` scores as 0 (with a warning); the report lists such classes in
 *    `neverPredicted` instead of warning.
 *  - A class absent from yTrue has recall 0/0 -> 0, and it still counts in the macro mean,
 *    because the labels are fixed to 0..numClasses-1 rather than inferred from the data.
 *    It is listed in `absentFromTrue`. Weighted means weight by support, so it adds nothing there.
 *  - F1 is 0 whenever precision + recall is 0.
 * Everything is derived from the confusion matrix, so scores can be accumulated batch by
 * batch (see ConfusionAccumulator) without holding every prediction.
 */
import * as tf from '@tensorflow/tfjs';
import { EMOTIONS, NUM_CLASSES } from './data/emotions';
import { readSync } from './engine/read';

/** Precision, recall, F1 and support of one class. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Averaged precision, recall and F1. */
export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

/** Everything `classificationReport` computes; scores are fractions in 0..1. */
export interface ClassificationReport {
  /** Fraction of samples whose prediction equals the truth. */
  accuracy: number;
  /** Macro-averaged precision (unweighted mean over all numClasses classes). */
  precision: number;
  /** Macro-averaged recall. */
  recall: number;
  /** Macro-averaged F1 (the mean of per-class F1, as sklearn; not the F1 of the means). */
  f1: number;
  /** Support-weighted averages, sklearn's `average="weighted"`. */
  weighted: AveragedScores;
  /** One entry per class id 0..numClasses-1. */
  perClass: ClassScores[];
  /** confusion[t][p] = number of samples of true class t predicted as p (rows true, columns predicted). */
  confusion: number[][];
  /** Total number of samples. */
  support: number;
  /** Class ids never predicted: their precision is 0 by the zero_division convention. */
  neverPredicted: number[];
  /** Class ids with no true sample: their recall is 0 and they still count in the macro mean. */
  absentFromTrue: number[];
}

/** Anything that holds class ids: plain arrays, typed arrays or a 1-D int tensor. */
export type LabelsLike = ArrayLike<number> | tf.Tensor;

/**
 * Computes accuracy, per-class, macro and weighted precision/recall/F1 and the confusion
 * matrix, as sklearn does with `labels=list(range(numClasses))`.
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number = NUM_CLASSES,
): ClassificationReport {
  const acc = new ConfusionAccumulator(numClasses);
  acc.update(yTrue, yPred);
  return reportFromConfusion(acc.confusion);
}

/**
 * Builds the full report from a square confusion matrix (rows true, columns predicted);
 * this is where all the sklearn conventions live.
 */
export function reportFromConfusion(confusion: number[][]): ClassificationReport {
  const k = confusion.length;
  const total = confusion.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  const perClass: ClassScores[] = [];
  const neverPredicted: number[] = [];
  const absentFromTrue: number[] = [];
  let correct = 0;
  for (let c = 0; c < k; c++) {
    if (confusion[c].length !== k) throw new Error(`reportFromConfusion: row ${c} has ${confusion[c].length} columns, expected ${k}`);
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < k; t++) predicted += confusion[t][c];
    correct += tp;
    if (predicted === 0) neverPredicted.push(c);
    if (support === 0) absentFromTrue.push(c);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ precision, recall, f1, support });
  }
  const mean = (key: keyof AveragedScores) => (k === 0 ? 0 : perClass.reduce((s, c) => s + c[key], 0) / k);
  const weightedMean = (key: keyof AveragedScores) => (total === 0 ? 0 : perClass.reduce((s, c) => s + c[key] * c.support, 0) / total);
  return {
    accuracy: total === 0 ? 0 : correct / total,
    precision: mean('precision'),
    recall: mean('recall'),
    f1: mean('f1'),
    weighted: { precision: weightedMean('precision'), recall: weightedMean('recall'), f1: weightedMean('f1') },
    perClass,
    confusion: confusion.map((row) => row.slice()),
    support: total,
    neverPredicted,
    absentFromTrue,
  };
}

/**
 * Accumulates a confusion matrix batch by batch, so scoring tens of thousands of images
 * needs only the k x k counts, never all predictions at once.
 */
export class ConfusionAccumulator {
  /** confusion[t][p], rows true, columns predicted. */
  readonly confusion: number[][];

  constructor(readonly numClasses: number = NUM_CLASSES) {
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new Error(`ConfusionAccumulator: numClasses must be a positive integer, got ${numClasses}`);
    this.confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  }

  /** Adds one batch of true and predicted class ids (same length, each an integer in 0..numClasses-1). */
  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
    if (yTrue.length !== yPred.length)
      throw new Error(`classification metrics: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
    for (let i = 0; i < yTrue.length; i++) {
      const t = yTrue[i],
        p = yPred[i];
      this.check(t, 'yTrue', i);
      this.check(p, 'yPred', i);
      this.confusion[t][p]++;
    }
  }

  /** The report of everything added so far. */
  report(): ClassificationReport {
    return reportFromConfusion(this.confusion);
  }

  private check(v: number, what: string, i: number): void {
    if (!Number.isInteger(v) || v < 0 || v >= this.numClasses) {
      throw new Error(`classification metrics: ${what}[${i}] = ${v} is not a class id in 0..${this.numClasses - 1}`);
    }
  }
}

/**
 * Index of the largest value of each row of [N, C] probabilities (or logits, or one-hot
 * labels); ties go to the lowest index, as numpy's argmax. Accepts a 2-D tensor, an array
 * of rows, or a flat array with `numClasses` values per row.
 */
export function argmaxRows(probs: tf.Tensor | ArrayLike<number>[] | ArrayLike<number>, numClasses: number = NUM_CLASSES): Uint8Array {
  if (probs instanceof tf.Tensor) {
    if (probs.rank !== 2) throw new Error(`argmaxRows: expected a 2-D tensor [N, C], got shape [${probs.shape}]`);
    numClasses = probs.shape[1]!;
    return argmaxRows(readSync(probs, 'argmaxRows') as Float32Array, numClasses);
  }
  const rows = probs as ArrayLike<number>[];
  if (rows.length > 0 && typeof rows[0] !== 'number') {
    return Uint8Array.from(Array.from(rows, (row) => argmaxOf(row, 0, row.length)));
  }
  const flat = probs as ArrayLike<number>;
  if (flat.length % numClasses !== 0) throw new Error(`argmaxRows: ${flat.length} values is not a multiple of ${numClasses} classes`);
  const out = new Uint8Array(flat.length / numClasses);
  for (let i = 0; i < out.length; i++) out[i] = argmaxOf(flat, i * numClasses, numClasses);
  return out;
}

function argmaxOf(v: ArrayLike<number>, start: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[start + j] > v[start + best]) best = j;
  return best;
}

/**
 * Class ids from whatever form labels come in: a 1-D array/tensor of ids is returned as is;
 * a 2-D tensor (one-hot labels or probabilities) is reduced with argmax.
 */
export function toClassIds(labels: LabelsLike, numClasses: number = NUM_CLASSES): Uint8Array {
  if (labels instanceof tf.Tensor) {
    if (labels.rank === 2) return argmaxRows(labels, numClasses);
    if (labels.rank === 1) return Uint8Array.from(readSync(labels, 'toClassIds'));
    throw new Error(`toClassIds: expected a 1-D tensor of ids or a 2-D tensor [N, C], got shape [${labels.shape}]`);
  }
  return Uint8Array.from(labels);
}

/**
 * classificationReport from tensors or arrays: ids, one-hot labels or probabilities.
 * Does not dispose its inputs.
 */
export function classificationReportFrom(yTrue: LabelsLike, yPred: LabelsLike, numClasses: number = NUM_CLASSES): ClassificationReport {
  return classificationReport(toClassIds(yTrue, numClasses), toClassIds(yPred, numClasses), numClasses);
}

/**
 * The plain-text report in the layout of sklearn's `classification_report(digits=2)`:
 * per-class rows, then accuracy, macro avg and weighted avg. Never-predicted and absent
 * classes are named underneath, where sklearn would only warn.
 */
export function formatClassificationReport(report: ClassificationReport, names: readonly string[] = EMOTIONS, digits = 2): string {
  const k = report.perClass.length;
  const labels = Array.from({ length: k }, (_, i) => names[i] ?? String(i));
  const headers = ['precision', 'recall', 'f1-score', 'support'];
  const lastLine = 'weighted avg';
  const width = Math.max(lastLine.length, digits, ...labels.map((l) => l.length));
  // sklearn's row format is '{:>{width}s} ' + ' {:>9.2f}' * 3 + ' {:>9}': a space after the
  // label and another before every column.
  const num = (v: number) => ' ' + v.toFixed(digits).padStart(9);
  const sup = (v: number) => ' ' + String(v).padStart(9);
  const blank = ' '.repeat(10);
  const lines: string[] = [];
  lines.push(' '.repeat(width) + ' ' + headers.map((h) => ' ' + h.padStart(9)).join(''));
  lines.push('');
  report.perClass.forEach((c, i) => {
    lines.push(`${labels[i].padStart(width)} ${num(c.precision)}${num(c.recall)}${num(c.f1)}${sup(c.support)}`);
  });
  lines.push('');
  lines.push(`${'accuracy'.padStart(width)} ${blank}${blank}${num(report.accuracy)}${sup(report.support)}`);
  lines.push(`${'macro avg'.padStart(width)} ${num(report.precision)}${num(report.recall)}${num(report.f1)}${sup(report.support)}`);
  const w = report.weighted;
  lines.push(`${lastLine.padStart(width)} ${num(w.precision)}${num(w.recall)}${num(w.f1)}${sup(report.support)}`);
  let text = lines.join('\n') + '\n';
  const named = (ids: number[]) => ids.map((i) => labels[i]).join(', ');
  if (report.neverPredicted.length) text += `\nnever predicted (precision set to 0): ${named(report.neverPredicted)}\n`;
  if (report.absentFromTrue.length) text += `no true samples (recall set to 0, still in the macro mean): ${named(report.absentFromTrue)}\n`;
  return text;
}

/**
 * A confusion matrix as text: a row per true class, a column per predicted class (counts),
 * headed by the class names, as sklearn's confusion_matrix reads with its labels beside it.
 */
export function formatConfusionMatrix(confusion: number[][], names: readonly string[] = EMOTIONS): string {
  const k = confusion.length;
  const labels = Array.from({ length: k }, (_, i) => names[i] ?? String(i));
  const first = Math.max('true \\ predicted'.length, ...labels.map((l) => l.length));
  const widths = labels.map((l, j) => Math.max(l.length, ...confusion.map((row) => String(row[j]).length)));
  const line = (head: string, cells: string[]) => [head.padEnd(first), ...cells.map((c, j) => c.padStart(widths[j]))].join('  ');
  return [line('true \\ predicted', labels), ...confusion.map((row, i) => line(labels[i], row.map(String)))].join('\n') + '\n';
}
