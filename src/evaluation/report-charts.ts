/**
 * The report's pictures, drawn without a browser: line and bar charts with Chart.js on an
 * @napi-rs/canvas canvas (a prebuilt native canvas shipped through npm), and the confusion
 * heat map and face grid drawn directly on the canvas, since Chart.js has no heat map of its own.
 * Every function returns PNG bytes.
 */
import { createCanvas, Canvas, SKRSContext2D } from '@napi-rs/canvas';
import type { ChartConfiguration } from 'chart.js' with { 'resolution-mode': 'import' };
import { EMOTIONS } from '../data/emotions';
import type { ClassificationReport } from '../metrics';

/** One row of a Keras CSVLogger log (epoch,loss,acc,val_loss,val_acc,lr); missing columns are NaN. */
export interface TrainingLogRow {
  epoch: number;
  loss: number;
  acc: number;
  val_loss: number;
  val_acc: number;
  lr: number;
}

/** A misclassified face for the grid: grayscale pixels and what the model said. */
export interface FaceSample {
  pixels: Uint8Array;
  width: number;
  height: number;
  trueLabel: number;
  predLabel: number;
  /** Probability the model gave its (wrong) prediction, 0..1. */
  confidence: number;
}

const TRAIN_COLOUR = '#1f77b4';
const VAL_COLOUR = '#ff7f0e';
const FONT = 'DejaVu Sans, sans-serif';

// Chart.js is ESM-only in its type declarations; a dynamic import loads its CommonJS build
// at run time and keeps this file CommonJS.
type ChartJs = typeof import('chart.js', { with: { 'resolution-mode': 'import' } });
let chartModule: Promise<ChartJs> | null = null;
async function loadChart(): Promise<ChartJs> {
  if (!chartModule) {
    chartModule = import('chart.js').then((m) => {
      m.Chart.register(...m.registerables);
      return m;
    });
  }
  return chartModule;
}

// Chart.js's item type for a context; named here because tsconfig has no DOM lib.
type CanvasRenderingContext2DLike = Parameters<ChartJs['Chart']['getChart']>[0];

/** Renders one Chart.js configuration on a white canvas of the given size. */
async function renderChart(config: ChartConfiguration, width: number, height: number): Promise<Canvas> {
  const { Chart } = await loadChart();
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, width, height);
  const options = { ...(config.options ?? {}), responsive: false, animation: false as const, devicePixelRatio: 1 };
  // Chart.js only needs the 2-D context API, which @napi-rs/canvas implements.
  const chart = new Chart(ctx as unknown as CanvasRenderingContext2DLike, { ...config, options } as ChartConfiguration);
  // destroy() clears its canvas, but it must run so Chart.js forgets the instance: keep a copy.
  const copy = createCanvas(width, height);
  copy.getContext('2d').drawImage(canvas, 0, 0);
  chart.destroy();
  return copy;
}

/**
 * Training curves from a CSVLogger log: loss (train vs validation), accuracy (train vs
 * validation, percent) and the learning rate on a log scale, side by side in one PNG.
 */
export async function plotTrainingCurves(rows: TrainingLogRow[], panelWidth = 420, height = 320): Promise<Buffer> {
  const epochs = rows.map((r) => String(r.epoch + 1)); // CSVLogger counts epochs from 0; people count from 1
  const series = (label: string, data: number[], colour: string, dashed = false) => ({
    label,
    data: data.map((v) => (Number.isFinite(v) ? v : null)),
    borderColor: colour,
    backgroundColor: colour,
    borderDash: dashed ? [6, 4] : [],
    pointRadius: rows.length > 40 ? 0 : 2,
    borderWidth: 2,
    spanGaps: true,
  });
  const common = (title: string, yTitle: string) => ({
    plugins: { title: { display: true, text: title, font: { size: 15 } }, legend: { position: 'bottom' as const } },
    scales: { x: { title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: yTitle } } },
  });
  const loss = await renderChart(
    {
      type: 'line',
      data: {
        labels: epochs,
        datasets: [
          series(
            'train loss',
            rows.map((r) => r.loss),
            TRAIN_COLOUR,
          ),
          series(
            'validation loss',
            rows.map((r) => r.val_loss),
            VAL_COLOUR,
          ),
        ],
      },
      options: common('Loss', 'categorical cross-entropy'),
    },
    panelWidth,
    height,
  );
  const acc = await renderChart(
    {
      type: 'line',
      data: {
        labels: epochs,
        datasets: [
          series(
            'train accuracy',
            rows.map((r) => 100 * r.acc),
            TRAIN_COLOUR,
          ),
          series(
            'validation accuracy',
            rows.map((r) => 100 * r.val_acc),
            VAL_COLOUR,
          ),
        ],
      },
      options: common('Accuracy', 'percent'),
    },
    panelWidth,
    height,
  );
  const lrOptions = common('Learning rate', 'lr (log scale)');
  const lrPositive = rows.every((r) => !(r.lr <= 0));
  const lr = await renderChart(
    {
      type: 'line',
      data: {
        labels: epochs,
        datasets: [
          series(
            'learning rate',
            rows.map((r) => r.lr),
            '#2ca02c',
          ),
        ],
      },
      options: { ...lrOptions, scales: { ...lrOptions.scales, y: { ...lrOptions.scales.y, type: lrPositive ? 'logarithmic' : 'linear' } } },
    },
    panelWidth,
    height,
  );
  const out = createCanvas(panelWidth * 3, height);
  const ctx = out.getContext('2d');
  [loss, acc, lr].forEach((c, i) => ctx.drawImage(c, i * panelWidth, 0));
  return out.toBuffer('image/png');
}

/** Per-class precision, recall and F1 as grouped bars (percent), with the macro means in the title. */
export async function plotClassBars(
  report: ClassificationReport,
  names: readonly string[] = EMOTIONS,
  width = 760,
  height = 360,
): Promise<Buffer> {
  const pct = (v: number) => 100 * v;
  const canvas = await renderChart(
    {
      type: 'bar',
      data: {
        labels: report.perClass.map((c, i) => `${names[i] ?? i} (${c.support})`),
        datasets: [
          { label: 'precision', data: report.perClass.map((c) => pct(c.precision)), backgroundColor: '#4c72b0' },
          { label: 'recall', data: report.perClass.map((c) => pct(c.recall)), backgroundColor: '#dd8452' },
          { label: 'F1', data: report.perClass.map((c) => pct(c.f1)), backgroundColor: '#55a868' },
        ],
      },
      options: {
        plugins: {
          title: {
            display: true,
            font: { size: 15 },
            text: `Per-class scores (macro P ${pct(report.precision).toFixed(2)}, R ${pct(report.recall).toFixed(2)}, F1 ${pct(report.f1).toFixed(2)})`,
          },
          legend: { position: 'bottom' },
        },
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: 'percent' } },
          x: { title: { display: true, text: 'class (support)' } },
        },
      },
    },
    width,
    height,
  );
  return canvas.toBuffer('image/png');
}

/**
 * The confusion matrix as a heat map: rows true, columns predicted, each cell shaded by the
 * fraction of its row (so rare classes such as Disgust are as readable as Happy) and labelled
 * with its count and that fraction.
 */
export function plotConfusionMatrix(confusion: number[][], names: readonly string[] = EMOTIONS, cell = 72): Buffer {
  const k = confusion.length;
  const left = 110,
    top = 60,
    right = 20,
    bottom = 80;
  const width = left + k * cell + right,
    height = top + k * cell + bottom;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#222';
  ctx.font = `bold 16px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText('Confusion matrix (count, % of true class)', width / 2, 22);
  for (let t = 0; t < k; t++) {
    const rowTotal = confusion[t].reduce((a, b) => a + b, 0);
    for (let p = 0; p < k; p++) {
      const count = confusion[t][p];
      const frac = rowTotal === 0 ? 0 : count / rowTotal;
      const x = left + p * cell,
        y = top + t * cell;
      ctx.fillStyle = heat(frac);
      ctx.fillRect(x, y, cell, cell);
      ctx.strokeStyle = t === p ? '#111' : '#ddd';
      ctx.lineWidth = t === p ? 2 : 1;
      ctx.strokeRect(x + 0.5, y + 0.5, cell - 1, cell - 1);
      ctx.fillStyle = frac > 0.5 ? 'white' : '#111';
      ctx.font = `bold 15px ${FONT}`;
      ctx.fillText(String(count), x + cell / 2, y + cell / 2 - 8);
      ctx.font = `11px ${FONT}`;
      ctx.fillText(`${(100 * frac).toFixed(1)}%`, x + cell / 2, y + cell / 2 + 10);
    }
  }
  ctx.fillStyle = '#222';
  ctx.font = `13px ${FONT}`;
  for (let i = 0; i < k; i++) {
    const name = names[i] ?? String(i);
    ctx.textAlign = 'right';
    ctx.fillText(name, left - 8, top + i * cell + cell / 2);
    ctx.save();
    ctx.translate(left + i * cell + cell / 2, top + k * cell + 8);
    ctx.rotate(-Math.PI / 6);
    ctx.textAlign = 'right';
    ctx.fillText(name, 0, 0);
    ctx.restore();
  }
  ctx.font = `bold 13px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('predicted', left + (k * cell) / 2, height - 14);
  ctx.save();
  ctx.translate(16, top + (k * cell) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('true', 0, 0);
  ctx.restore();
  return canvas.toBuffer('image/png');
}

/** White (0) to dark blue (1), as matplotlib's 'Blues'. */
function heat(frac: number): string {
  const lo = [247, 251, 255],
    hi = [8, 48, 107];
  const c = lo.map((v, i) => Math.round(v + (hi[i] - v) * Math.min(1, Math.max(0, frac))));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * A grid of misclassified faces, each enlarged (nearest neighbour, so pixels stay honest)
 * and captioned with the true label, the prediction and its probability.
 */
export function plotFaceGrid(faces: FaceSample[], names: readonly string[] = EMOTIONS, columns = 6, tile = 120): Buffer {
  const captionH = 36,
    pad = 8,
    titleH = 34;
  const cols = Math.max(1, Math.min(columns, faces.length || 1));
  const rows = Math.max(1, Math.ceil(faces.length / cols));
  const width = pad + cols * (tile + pad),
    height = titleH + rows * (tile + captionH + pad) + pad;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#222';
  ctx.font = `bold 15px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(faces.length ? 'Misclassified test faces' : 'No misclassified test faces', width / 2, titleH / 2);
  faces.forEach((face, i) => {
    const x = pad + (i % cols) * (tile + pad),
      y = titleH + Math.floor(i / cols) * (tile + captionH + pad);
    drawGray(ctx, face, x, y, tile);
    ctx.font = `11px ${FONT}`;
    ctx.fillStyle = '#1a7f37';
    ctx.fillText(`true: ${names[face.trueLabel] ?? face.trueLabel}`, x + tile / 2, y + tile + 10);
    ctx.fillStyle = '#c62828';
    ctx.fillText(`pred: ${names[face.predLabel] ?? face.predLabel} ${(100 * face.confidence).toFixed(0)}%`, x + tile / 2, y + tile + 26);
  });
  return canvas.toBuffer('image/png');
}

function drawGray(ctx: SKRSContext2D, face: FaceSample, x: number, y: number, tile: number): void {
  const { width: w, height: h, pixels } = face;
  if (pixels.length !== w * h) throw new Error(`plotFaceGrid: ${pixels.length} pixels for a ${w}x${h} face`);
  const img = ctx.createImageData(tile, tile);
  for (let ty = 0; ty < tile; ty++) {
    const sy = Math.min(h - 1, Math.floor((ty * h) / tile));
    for (let tx = 0; tx < tile; tx++) {
      const v = pixels[sy * w + Math.min(w - 1, Math.floor((tx * w) / tile))];
      const o = 4 * (ty * tile + tx);
      img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, x, y);
}
