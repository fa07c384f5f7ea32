/**
 * Builds data/fer2013-sample.csv.gz, the embedded default dataset: a stratified sample
 * of the full FER2013 file (every Usage x every class), rows copied verbatim in file order.
 * Deterministic: the same input always gives the same bytes (evenly spaced picks, no
 * randomness, gzip header without a timestamp).
 *
 *   npx ts-node scripts/make-fixture.ts [../shared/data/fer2013.csv.gz] [data/fer2013-sample.csv.gz]
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { readFerCsvSync, SPLITS, SplitName } from '../src/data/fer-csv';
import { NUM_CLASSES } from '../src/data/emotions';
import { writeFileAtomic } from '../src/files/atomic';

/** Rows kept per class in each split: 7 * (30 + 8 + 8) = 322 rows, about 0.9 MB gzipped. */
const PER_CLASS: Record<SplitName, number> = { train: 30, validation: 8, test: 8 };

function main(): void {
  const input = path.resolve(process.argv[2] ?? path.join(__dirname, '../../shared/data/fer2013.csv.gz'));
  const output = path.resolve(process.argv[3] ?? path.join(__dirname, '../data/fer2013-sample.csv.gz'));
  const data = readFerCsvSync(input);
  const keep: number[] = [];
  for (const split of SPLITS) {
    const raw = data.splits[split]!;
    for (let c = 0; c < NUM_CLASSES; c++) {
      const rows = [...raw.lines].filter((_, i) => raw.labels[i] === c);
      const k = Math.min(PER_CLASS[split], rows.length);
      // Evenly spaced through the class's rows so the sample spans the whole file.
      for (let j = 0; j < k; j++) keep.push(rows[Math.floor(((j + 0.5) * rows.length) / k)]);
    }
  }
  keep.sort((a, b) => a - b);
  const text = zlib.gunzipSync(fs.readFileSync(input)).toString('latin1');
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const out = [lines[0], ...keep.map((n) => lines[n - 1])].join('\n') + '\n';
  const gz = zlib.gzipSync(Buffer.from(out, 'latin1'), { level: 9 });
  writeFileAtomic(output, gz);
  process.stdout.write(`wrote ${output}: ${keep.length} rows, ${gz.length} bytes\n`);
}

main();
