/**
 * Which of PIL's filters should shrink a face cut from a picture to 48x48 (InputPreparation.shrink)?
 * Each PublicTest face is enlarged to a random side of 72 to 240 pixels with PIL's bilinear (as
 * scripts/pasted-faces.ts pastes it), shrunk back with each filter, and compared with its
 * original: the mean RMS error in grey levels, and with a model, the accuracy against the crops'
 * with the faces lost and gained. Nothing is chosen on PrivateTest.
 *
 *   npx ts-node scripts/shrink-filters.ts [--data ../shared/data/fer2013.csv.gz] [--limit N] [--model DIR|pretrained] [--rms_only]
 */
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/engine/select';
import { SAMPLE_CSV_PATH } from '../src/facial';
import { readFerCsvSync, FER_PIXELS } from '../src/data/fer-csv';
import { FER_SIZE } from '../src/data/emotions';
import { ResampleFilter, resizeBilinear, resizeInto } from '../src/data/resize';
import { mulberry32 } from '../src/data/image-transform';
import { RawImage } from '../src/data/raw-image';
import { predict } from '../src/evaluation/predict';
import { loadPretrained, PRETRAINED } from '../src/io/pretrained';
import { loadModel } from '../src/io/model-io';

const FILTERS: ResampleFilter[] = ['bilinear', 'box', 'hamming', 'bicubic', 'lanczos'];

const flags = new Command()
  .option('--data <csv>', 'FER2013 CSV (plain or .gz)', SAMPLE_CSV_PATH)
  .option('--limit <n>', 'PublicTest faces', Number)
  .option('--seed <n>', 'the enlarged sides', Number, 1)
  .option('--model <dir>', `the classifier ('${PRETRAINED}': the shipped model)`, PRETRAINED)
  .option('--rms_only', 'pixels only, no model')
  .parse()
  .opts<{ data: string; limit?: number; seed: number; model: string; rms_only?: boolean }>();

(async () => {
  const faces = readFerCsvSync(flags.data, { splits: ['validation'], limit: flags.limit }).splits.validation!;
  const n = faces.labels.length;
  const rand = mulberry32(flags.seed);
  const sets: Record<string, RawImage[]> = { crops: [] };
  const rms: Record<string, number> = {};
  for (const f of FILTERS) [sets[f], rms[f]] = [[], 0];
  for (let i = 0; i < n; i++) {
    const face = faces.pixels.slice(i * FER_PIXELS, (i + 1) * FER_PIXELS);
    const side = Math.round(72 + rand() * 168);
    const big = resizeBilinear(face, FER_SIZE, FER_SIZE, side, side);
    sets.crops.push({ data: face, width: FER_SIZE, height: FER_SIZE, channels: 1 });
    for (const f of FILTERS) {
      const back = new Uint8Array(FER_PIXELS);
      resizeInto(big, side, side, back, FER_SIZE, FER_SIZE, f);
      let sq = 0;
      for (let p = 0; p < FER_PIXELS; p++) sq += (back[p] - face[p]) ** 2;
      rms[f] += Math.sqrt(sq / FER_PIXELS) / n;
      sets[f].push({ data: back, width: FER_SIZE, height: FER_SIZE, channels: 1 });
    }
  }
  process.stdout.write(`${flags.data} PublicTest, ${n} faces enlarged to 72-240 px (seed ${flags.seed}) and shrunk back:\n`);
  if (flags.rms_only) {
    for (const f of FILTERS) process.stdout.write(`${f.padEnd(9)} RMS ${rms[f].toFixed(2)}\n`);
    return;
  }
  await selectBackend(undefined);
  const model: tf.LayersModel = flags.model === PRETRAINED ? (await loadPretrained()).model : await loadModel(flags.model);
  try {
    const right: Record<string, boolean[]> = {};
    for (const [name, images] of Object.entries(sets)) {
      // 48x48 in, so predict resizes nothing: each set is scored as prepared here
      right[name] = (await predict(model, images)).map((r, i) => r.ok && r.label === faces.labels[i]);
      const acc = (100 * right[name].filter(Boolean).length) / n;
      const lost = right.crops.filter((c, i) => c && !right[name][i]).length;
      const gained = right.crops.filter((c, i) => !c && right[name][i]).length;
      const pixels = name === 'crops' ? '' : `RMS ${rms[name].toFixed(2)}  `;
      process.stdout.write(`${name.padEnd(9)} ${pixels}accuracy ${acc.toFixed(2)}%  lost ${lost} gained ${gained}\n`);
    }
  } finally {
    model.dispose();
  }
})().catch((err) => {
  process.stderr.write(`shrink-filters: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
