/**
 * A report people can look at: one self-contained index.html (every picture embedded as a
 * data URI, so the page can be mailed or archived alone) plus the same pictures as PNG files
 * beside it. It shows the seed's table, the training curves from the CSVLogger log, the
 * confusion matrix, per-class scores and the test faces the model got most confidently wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Papa from 'papaparse';
import { EMOTIONS, FER_SIZE } from '../data/emotions';
import type { SplitName } from '../data/fer-csv';
import { formatClassificationReport } from '../metrics';
import { FaceSample, plotClassBars, plotConfusionMatrix, plotFaceGrid, plotTrainingCurves, TrainingLogRow } from './report-charts';
import { ALL_SPLITS, EvaluationResults, formatSeedTable, percent, SPLIT_TITLES, SplitEvaluation } from './verify';
import { writeFileAtomic } from '../files/atomic';

export type { TrainingLogRow, FaceSample } from './report-charts';

/** The pictures a report writes, by file name. */
export const REPORT_FILES = {
  curves: 'training-curves.png',
  confusion: 'confusion-matrix.png',
  classes: 'class-scores.png',
  faces: 'misclassified.png',
  html: 'index.html',
} as const;

/** What goes into a report. */
export interface ReportInputs {
  /** evaluateModel's results (any subset of the splits). */
  results: EvaluationResults;
  /** Rows of the training log; the curves are left out when absent. */
  log?: TrainingLogRow[];
  /** Where the log came from, shown on the page. */
  logPath?: string;
  /** The source of the raw 48x48 faces for the misclassified grid (a Facial); the grid is left out without it. */
  faces?: { raw(split: SplitName): { pixels: Uint8Array; lines: Uint32Array } | null };
  /** Split whose confusion matrix, class bars and mistakes are drawn (default: test, else the last evaluated). */
  split?: SplitName;
  /** Most faces in the grid (default 36). */
  maxFaces?: number;
  /** The model's class names, in output order (default FER2013's seven EMOTIONS). */
  classNames?: readonly string[];
  /** Lines describing the run (model path, data path, ...), shown under the title. */
  details?: Record<string, string>;
  title?: string;
}

/**
 * Parses a Keras CSVLogger log (epoch,loss,acc,val_loss,val_acc,lr; `accuracy`/`val_accuracy`
 * as newer Keras names them are accepted too). A bad value is an error naming file and line.
 */
export function parseTrainingLog(text: string, source = '<log>'): TrainingLogRow[] {
  const parsed = Papa.parse<Record<string, string>>(text.trim(), { header: true, skipEmptyLines: true });
  if (parsed.errors.length > 0) {
    const e = parsed.errors[0];
    throw new Error(`${source}:${(e.row ?? 0) + 2}: ${e.message}`);
  }
  const fields = parsed.meta.fields ?? [];
  const column = (...names: string[]) => names.find((n) => fields.includes(n));
  const cols = {
    epoch: column('epoch'),
    loss: column('loss'),
    acc: column('acc', 'accuracy'),
    val_loss: column('val_loss'),
    val_acc: column('val_acc', 'val_accuracy'),
    lr: column('lr', 'learning_rate'),
  };
  if (!cols.epoch || !cols.loss)
    throw new Error(`${source}:1: expected a CSVLogger header with epoch and loss columns, got '${fields.join(',')}'`);
  const rows = parsed.data.map((row, i) => {
    const value = (key: keyof typeof cols, required = false): number => {
      const name = cols[key];
      if (!name) return NaN;
      const raw = (row[name] ?? '').trim();
      const v = Number(raw);
      if (raw === '' || Number.isNaN(v)) {
        if (!required && (raw === '' || raw.toLowerCase() === 'nan')) return NaN;
        throw new Error(`${source}:${i + 2}: column ${name} is '${raw}', not a number`);
      }
      return v;
    };
    return {
      epoch: value('epoch', true),
      loss: value('loss'),
      acc: value('acc'),
      val_loss: value('val_loss'),
      val_acc: value('val_acc'),
      lr: value('lr'),
    };
  });
  // Epochs must ascend: a repeated or earlier epoch means two runs' logs were mixed (a resume
  // that found no state appended to an old log), and the curves would be nonsense.
  rows.forEach((r, i) => {
    if (i > 0 && r.epoch <= rows[i - 1].epoch) {
      throw new Error(
        `${source}:${i + 2}: epoch ${r.epoch} follows epoch ${rows[i - 1].epoch} (a duplicated or out-of-order epoch: logs of two runs mixed?)`,
      );
    }
  });
  return rows;
}

/** Reads and parses a CSVLogger file. */
export function readTrainingLog(file: string): TrainingLogRow[] {
  return parseTrainingLog(fs.readFileSync(file, 'utf8'), file);
}

/**
 * The misclassified images of one evaluated split, most confident mistakes first, with
 * their 48x48 faces as read from the CSV.
 */
export function pickMisclassified(evaluation: SplitEvaluation, raw: { pixels: Uint8Array }, max = 36): FaceSample[] {
  const wrong: number[] = [];
  for (let i = 0; i < evaluation.yPred.length; i++) if (evaluation.yPred[i] !== evaluation.yTrue[i]) wrong.push(i);
  wrong.sort((a, b) => evaluation.confidence[b] - evaluation.confidence[a] || a - b);
  const px = FER_SIZE * FER_SIZE;
  return wrong.slice(0, max).map((i) => ({
    pixels: raw.pixels.subarray(i * px, (i + 1) * px),
    width: FER_SIZE,
    height: FER_SIZE,
    trueLabel: evaluation.yTrue[i],
    predLabel: evaluation.yPred[i],
    confidence: evaluation.confidence[i],
  }));
}

/**
 * Renders every picture and writes them and index.html into `outDir` (created if needed).
 * Each file is written under a temporary name and renamed, so an interrupted run leaves the
 * previous report intact. Returns the paths written.
 */
export async function writeReport(outDir: string, inputs: ReportInputs): Promise<string[]> {
  const split = inputs.split ?? (inputs.results.test ? 'test' : ALL_SPLITS.filter((s) => inputs.results[s]).pop());
  const evaluation = split ? inputs.results[split] : undefined;
  if (!split || !evaluation) throw new Error('writeReport: no evaluated split to report on');
  const names = inputs.classNames ?? EMOTIONS;
  const images: { file: string; title: string; caption: string; png: Buffer }[] = [];
  if (inputs.log && inputs.log.length > 0) {
    images.push({
      file: REPORT_FILES.curves,
      title: 'Training curves',
      caption: `From ${inputs.logPath ?? 'the training log'} (${inputs.log.length} epochs).`,
      png: await plotTrainingCurves(inputs.log),
    });
  }
  const splitTitle = SPLIT_TITLES[split];
  images.push({
    file: REPORT_FILES.confusion,
    title: `Confusion matrix, ${splitTitle}`,
    caption: 'Rows are the true class, columns the prediction; shading is the fraction of the row.',
    png: plotConfusionMatrix(evaluation.confusion, names),
  });
  images.push({
    file: REPORT_FILES.classes,
    title: `Per-class precision, recall and F1, ${splitTitle}`,
    caption: 'Support (number of true images) in brackets.',
    png: await plotClassBars(evaluation, names),
  });
  const raw = inputs.faces?.raw(split);
  if (raw) {
    const faces = pickMisclassified(evaluation, raw, inputs.maxFaces ?? 36);
    images.push({
      file: REPORT_FILES.faces,
      title: `Misclassified faces, ${splitTitle}`,
      caption: `The ${faces.length} most confident mistakes of ${evaluation.yPred.length - Math.round(evaluation.accuracy * evaluation.support)}, as 48x48 originals.`,
      png: plotFaceGrid(faces, names),
    });
  }
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const img of images) {
    const file = path.join(outDir, img.file);
    writeFileAtomic(file, img.png);
    written.push(file);
  }
  const htmlFile = path.join(outDir, REPORT_FILES.html);
  writeFileAtomic(htmlFile, renderHtml(inputs, evaluation, images));
  written.push(htmlFile);
  return written;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function renderHtml(
  inputs: ReportInputs,
  evaluation: SplitEvaluation,
  images: { file: string; title: string; caption: string; png: Buffer }[],
): string {
  const title = inputs.title ?? 'Facial expression model report';
  const names = inputs.classNames ?? EMOTIONS;
  const details = Object.entries(inputs.details ?? {})
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('');
  const rows = ALL_SPLITS.filter((s) => inputs.results[s])
    .map((s) => {
      const r = inputs.results[s]!;
      return `<tr><th>${SPLIT_TITLES[s]}</th>${[r.accuracy, r.precision, r.recall, r.f1].map((v) => `<td>${percent(v)}</td>`).join('')}<td>${r.support}</td><td>${r.imagesPerSecond.toFixed(1)}</td></tr>`;
    })
    .join('\n');
  const notes: string[] = [];
  if (evaluation.neverPredicted.length)
    notes.push(
      `Never predicted on ${SPLIT_TITLES[evaluation.split]} (precision counted as 0, as scikit-learn): ${evaluation.neverPredicted.map((i) => names[i]).join(', ')}.`,
    );
  if (evaluation.absentFromTrue.length)
    notes.push(`No true images of ${evaluation.absentFromTrue.map((i) => names[i]).join(', ')} (recall 0, still in the macro mean).`);
  const figures = images
    .map(
      (img) => `<figure>
  <h2>${escapeHtml(img.title)}</h2>
  <a href="${img.file}"><img src="data:image/png;base64,${img.png.toString('base64')}" alt="${escapeHtml(img.title)}" data-file="${img.file}"></a>
  <figcaption>${escapeHtml(img.caption)} File: <a href="${img.file}">${img.file}</a></figcaption>
</figure>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 24px auto; max-width: 1300px; color: #222; }
  h1 { font-size: 24px; } h2 { font-size: 18px; margin: 24px 0 8px; }
  dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; font-size: 14px; }
  dt { font-weight: bold; } dd { margin: 0; font-family: monospace; }
  table { border-collapse: collapse; font-size: 15px; }
  th, td { border: 1px solid #ccc; padding: 4px 12px; text-align: right; } thead th { background: #f2f2f2; }
  figure { margin: 0 0 16px; } img { max-width: 100%; border: 1px solid #eee; }
  figcaption { font-size: 13px; color: #555; } pre { background: #f7f7f7; padding: 8px; font-size: 13px; }
  .note { color: #a15c00; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<dl>${details}</dl>
<h2>Scores (percent; precision, recall and F1 macro-averaged over the 7 classes)</h2>
<table>
<thead><tr><th></th><th>Accuracy</th><th>Precision</th><th>Recall</th><th>F1</th><th>Images</th><th>Images/s</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
<details><summary>Seed table (Markdown)</summary><pre>${escapeHtml(formatSeedTable(inputs.results))}</pre></details>
<h2>Per-class report, ${SPLIT_TITLES[evaluation.split]}</h2>
<pre>${escapeHtml(formatClassificationReport(evaluation, names))}</pre>
${figures}
</body>
</html>
`;
}
