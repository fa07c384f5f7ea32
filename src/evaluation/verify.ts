/**
 * Scoring a trained model on the FER2013 splits, as the seed's verify_model.py does, but in
 * batches: each batch is built with `facial.batch()` (so at 200x200 only one batch of
 * resized images exists at a time), predicted, reduced to class ids and disposed, and the
 * metrics are accumulated from a confusion matrix. Memory therefore stays flat whatever the
 * number of images.
 */
import * as tf from '@tensorflow/tfjs';
import type { SplitName } from '../data/fer-csv';
import { ClassificationReport, ConfusionAccumulator } from '../metrics';
import { fastPredictor, inferenceBatchSize } from '../models/inference';
import { checkDevice } from '../engine/capabilities';
import { predictPlainAndFlip, Predictor, TestTimeAugmentation, TTA_MODES } from '../models/tta';

/**
 * What evaluateModel needs from the data: the parts of Facial's interface it calls. Facial
 * satisfies it; tests and other sources can pass anything of this shape.
 */
export interface EvaluationData {
  count(split: SplitName): number;
  labels(split: SplitName): Uint8Array;
  batch(split: SplitName, indices: ArrayLike<number>): { xs: tf.Tensor4D; ys: tf.Tensor2D };
}

/** Options of `evaluateModel`. */
export interface EvaluateOptions {
  /** Images per forward pass (default 64). */
  batchSize?: number;
  /** Called after every batch, e.g. to drive a progress bar. */
  onBatch?: (split: SplitName, done: number, total: number) => void;
  /**
   * 'flip' scores each face as the mean of its and its mirror's probabilities (models/tta.ts);
   * each split's result then also carries `plain`, the report without it, from the same passes.
   */
  tta?: TestTimeAugmentation;
}

/** The report of one split, with the predictions behind it and how fast they came. */
export interface SplitEvaluation extends ClassificationReport {
  split: SplitName;
  /** True class id of every image, in split order. */
  yTrue: Uint8Array;
  /** Predicted class id of every image (argmax of the softmax). */
  yPred: Uint8Array;
  /** The probability the model gave its prediction, per image. */
  confidence: Float32Array;
  /** Wall-clock seconds spent building batches and predicting. */
  seconds: number;
  imagesPerSecond: number;
  /** Under tta 'flip': the same split's report without flip averaging (the seed's table). */
  plain?: ClassificationReport;
}

/** `evaluateModel`'s result: one evaluation per split asked for. */
export type EvaluationResults = Partial<Record<SplitName, SplitEvaluation>>;

/** The seed's row names for the splits, in table order. */
export const SPLIT_TITLES: Record<SplitName, string> = { train: 'Training', validation: 'Validation', test: 'Testing' };

/** Splits in the order the seed's table lists them. */
export const ALL_SPLITS: SplitName[] = ['train', 'validation', 'test'];

/**
 * Predicts every image of each split in batches of `batchSize` and returns one
 * sklearn-style report per split (see classificationReport). Inference only: the model is
 * called with training=false, so BatchNorm uses its moving statistics and dropout is off.
 */
export async function evaluateModel(
  model: tf.LayersModel,
  facial: EvaluationData,
  splits: SplitName[] = ALL_SPLITS,
  opts: EvaluateOptions = {},
): Promise<EvaluationResults> {
  const requested = opts.batchSize ?? 64;
  if (!Number.isInteger(requested) || requested < 1)
    throw new Error(`evaluateModel: batchSize must be a positive integer, got ${requested}`);
  const batchSize = inferenceBatchSize(model, requested);
  const tta = opts.tta ?? 'none';
  if (!TTA_MODES.includes(tta)) throw new Error(`evaluateModel: tta must be one of ${TTA_MODES.join(', ')}, got '${String(tta)}'`);
  const results: EvaluationResults = {};
  // Compiled once for all splits: on wasm it folds BN into the convolutions (same outputs, ~2x faster).
  const predictor = fastPredictor(model);
  try {
    for (const split of splits) {
      results[split] = await evaluateSplit(model, predictor, facial, split, batchSize, tta, opts.onBatch);
    }
  } finally {
    predictor.dispose();
  }
  return results;
}

async function evaluateSplit(
  model: tf.LayersModel,
  predictor: Predictor,
  facial: EvaluationData,
  split: SplitName,
  batchSize: number,
  tta: TestTimeAugmentation,
  onBatch?: EvaluateOptions['onBatch'],
): Promise<SplitEvaluation> {
  const n = facial.count(split);
  const yTrue = facial.labels(split);
  const numClasses = outputClasses(model);
  const yPred = new Uint8Array(n);
  const plainPred = tta === 'flip' ? new Uint8Array(n) : null;
  const confidence = new Float32Array(n);
  const start = performance.now();
  // The argmax of each row of `values` into pred (and its probability into conf) from `from` on.
  const take = (values: Float32Array | Int32Array | Uint8Array, rows: number, from: number, pred: Uint8Array, conf?: Float32Array) => {
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let c = 1; c < numClasses; c++) if (values[i * numClasses + c] > values[i * numClasses + best]) best = c;
      pred[from + i] = best;
      if (conf) conf[from + i] = values[i * numClasses + best];
    }
  };
  for (let from = 0; from < n; from += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, n - from) }, (_, i) => from + i);
    const { xs, ys } = facial.batch(split, indices);
    try {
      if (plainPred) {
        const { plain, flip } = predictPlainAndFlip(predictor, xs);
        const [p, f] = await Promise.all([plain.data(), flip.data()]);
        tf.dispose([plain, flip]);
        take(p, indices.length, from, plainPred);
        take(f, indices.length, from, yPred, confidence);
      } else {
        const probs = tf.tidy(() => predictor.predict(xs));
        const values = await probs.data();
        probs.dispose();
        take(values, indices.length, from, yPred, confidence);
      }
      checkDevice(`evaluateModel (${split})`);
    } finally {
      tf.dispose([xs, ys]);
    }
    onBatch?.(split, from + indices.length, n);
  }
  const report = (pred: Uint8Array) => {
    const acc = new ConfusionAccumulator(numClasses);
    acc.update(yTrue, pred);
    return acc.report();
  };
  const seconds = (performance.now() - start) / 1000;
  return {
    ...report(yPred),
    split,
    yTrue,
    yPred,
    confidence,
    seconds,
    imagesPerSecond: seconds > 0 ? n / seconds : 0,
    ...(plainPred ? { plain: report(plainPred) } : {}),
  };
}

function outputClasses(model: tf.LayersModel): number {
  const shape = model.outputs[0].shape;
  const k = shape[shape.length - 1];
  if (shape.length !== 2 || typeof k !== 'number')
    throw new Error(`evaluateModel: expected a model with output [N, classes], got [${shape}]`);
  return k;
}

/**
 * The seed's README table: rows Training, Validation, Testing (those evaluated); columns
 * Accuracy, Precision, Recall, F1 (macro), in percent with two decimals, as a Markdown table.
 */
export function formatSeedTable(results: Partial<Record<SplitName, ClassificationReport>>): string {
  const header = ['', 'Accuracy', 'Precision', 'Recall', 'F1'];
  const rows = ALL_SPLITS.filter((s) => results[s]).map((s) => {
    const r = results[s]!;
    return [SPLIT_TITLES[s], ...[r.accuracy, r.precision, r.recall, r.f1].map(percent)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}

/** A fraction as a percent with two decimals, as the seed's table prints it. */
export function percent(fraction: number): string {
  return (100 * fraction).toFixed(2);
}

/**
 * The `--json` form of the results: { Training: {accuracy, precision, recall, f1, confusion}, ... }
 * with scores in percent (rounded to 1e-4) and the confusion matrix as counts.
 */
export function resultsToJson(
  results: Partial<Record<SplitName, ClassificationReport>>,
): Record<string, { accuracy: number; precision: number; recall: number; f1: number; confusion: number[][] }> {
  const out: ReturnType<typeof resultsToJson> = {};
  const pct = (v: number) => Math.round(v * 1e6) / 1e4;
  for (const s of ALL_SPLITS) {
    const r = results[s];
    if (r)
      out[SPLIT_TITLES[s]] = {
        accuracy: pct(r.accuracy),
        precision: pct(r.precision),
        recall: pct(r.recall),
        f1: pct(r.f1),
        confusion: r.confusion,
      };
  }
  return out;
}
