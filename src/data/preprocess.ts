/**
 * preprocess_facial_data.py: FER2013 as class folders of PNG images,
 * `<out>/{train_dir,validation_dir,test_dir}/{0..6}/<label>_<lineNo>.png`, prepared
 * exactly as Facial prepares them (bytescale + PIL bilinear to `size`).
 *
 * The whole CSV is validated before the first image is written. Each image is written
 * atomically (temporary name, then rename), so an existing `<label>_<line>.png` is always
 * complete: a rerun skips those and resumes an interrupted run; leftover temporary files
 * of a killed run are removed. PNG encoding dominates the cost, so the images are shared
 * out to worker threads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { NUM_CLASSES } from './emotions';
import { FER_PIXELS, SPLITS, SkippedRows, SplitName, readFerCsv } from './fer-csv';
import { FaceBatch, WorkerReply, writeFaces } from './preprocess-worker';
import { startModuleWorker } from './worker-thread';
import { isLeftoverName } from '../files/leftovers';

/** Folder of each split under the output directory, as the seed names them. */
export const SPLIT_DIRS: Readonly<Record<SplitName, string>> = { train: 'train_dir', validation: 'validation_dir', test: 'test_dir' };

/** Options for preprocessToFolders. */
export interface PreprocessOptions {
  /** FER2013 CSV, plain or .gz. */
  csvPath: string;
  /** Output folder (created if needed). */
  outDir: string;
  /** Side of the written images (default 200, as the seed). */
  size?: number;
  /** bytescale before resizing (default true, as the seed's imresize). */
  stretch?: boolean;
  /** Splits to write (default all). */
  splits?: SplitName[];
  /** At most this many rows per split. */
  limit?: number;
  /** Skip invalid CSV rows instead of failing (reported in the result). */
  skipBadRows?: boolean;
  /** Worker threads; 0 writes in this thread (default: one per CPU, at most 8). */
  workers?: number;
  /** Called as images complete: (done so far, total to write this run). */
  onProgress?: (done: number, total: number) => void;
}

/** What a run did. */
export interface PreprocessResult {
  /** Images written by this run. */
  written: number;
  /** Existing images of another size (an earlier run's --size), rewritten at this size. */
  resized: number;
  /** Images already complete from an earlier run, left untouched. */
  alreadyComplete: number;
  /** Stale temporary files of an interrupted run that were removed. */
  staleRemoved: number;
  /** Rows left out by skipBadRows. */
  skipped: SkippedRows;
  seconds: number;
}

/** Path of one face: `<out>/<split>_dir/<label>/<label>_<line>.png`. */
export function facePath(outDir: string, split: SplitName, label: number, line: number): string {
  return path.join(outDir, SPLIT_DIRS[split], String(label), `${label}_${line}.png`);
}

/** Removes `*.png.tmp-*` left by a killed run (writeFileAtomic's temporary names, no other). */
function removeStaleTemps(dir: string): number {
  let n = 0;
  for (const name of fs.readdirSync(dir)) {
    const png = /^(.*\.png)\.tmp-/.exec(name);
    if (png && isLeftoverName(name, png[1])) {
      fs.rmSync(path.join(dir, name), { force: true });
      n++;
    }
  }
  return n;
}

const BATCH = 256;

/** Starts a worker on preprocess-worker. */
function startWorker(): Worker {
  return startModuleWorker(__dirname, __filename, 'preprocess-worker', { facialPreprocessWorker: true });
}

/**
 * Runs the batches on `count` workers, each taking the next batch when it finishes one. After a
 * failure no worker gets another batch, but each finishes the one it holds before they are
 * stopped: stopping a thread inside a write would leave its temporary file behind.
 */
async function runOnWorkers(batches: FaceBatch[], count: number, onBatch: (n: number) => void): Promise<void> {
  const workers = Array.from({ length: Math.min(count, batches.length) }, startWorker);
  let next = 0;
  let failure: Error | null = null;
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const stop = (err: Error) => {
              failure ??= err;
              resolve();
            };
            const feed = () => {
              if (failure || next >= batches.length) return resolve();
              const b = batches[next++];
              w.postMessage(b, [b.pixels.buffer as ArrayBuffer]);
            };
            w.on('message', (r: WorkerReply) => {
              if (!r.ok) return stop(new Error(r.message));
              onBatch(r.written);
              feed();
            });
            w.on('error', stop);
            w.on('exit', (code) => {
              if (code !== 0) stop(new Error(`preprocess worker stopped with exit code ${code}`));
            });
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure) throw failure;
}

/** The width of an existing PNG from its IHDR chunk (bytes 16..19), -1 for a file that is not a PNG, null when absent. */
function pngSide(file: string): number | null {
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return null;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(24);
    const n = fs.readSync(fd, head, 0, 24, 0);
    return n === 24 && head.readUInt32BE(12) === 0x49484452 ? head.readUInt32BE(16) : -1;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes FER2013 as PNG class folders (see the file comment). Throws FerCsvError for a bad
 * CSV before writing anything, and an error naming the image for a failed write.
 */
export async function preprocessToFolders(options: PreprocessOptions): Promise<PreprocessResult> {
  const start = Date.now();
  const size = options.size ?? 200;
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`preprocess: size must be a positive integer, got ${options.size}`);
  const stretch = options.stretch ?? true;
  const data = await readFerCsv(options.csvPath, { splits: options.splits, limit: options.limit, skipBadRows: options.skipBadRows });

  // Plan: every face whose final file is missing, in batches that carry their own pixels.
  let alreadyComplete = 0,
    staleRemoved = 0,
    resized = 0;
  const batches: FaceBatch[] = [];
  for (const split of SPLITS) {
    const raw = data.splits[split];
    if (!raw) continue;
    for (let c = 0; c < NUM_CLASSES; c++) {
      const dir = path.join(options.outDir, SPLIT_DIRS[split], String(c));
      fs.mkdirSync(dir, { recursive: true });
      staleRemoved += removeStaleTemps(dir);
    }
    const todo: number[] = [];
    for (let i = 0; i < raw.labels.length; i++) {
      // Final names only ever appear by rename, so an existing file is a complete image; one of
      // another size (an earlier run with another --size) is rewritten.
      const side = pngSide(facePath(options.outDir, split, raw.labels[i], raw.lines[i]));
      if (side === size) alreadyComplete++;
      else {
        if (side !== null) resized++;
        todo.push(i);
      }
    }
    for (let b = 0; b < todo.length; b += BATCH) {
      const rows = todo.slice(b, b + BATCH);
      const pixels = new Uint8Array(rows.length * FER_PIXELS);
      rows.forEach((i, k) => pixels.set(raw.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS), k * FER_PIXELS));
      const files = rows.map((i) => facePath(options.outDir, split, raw.labels[i], raw.lines[i]));
      batches.push({ size, stretch, pixels, files });
    }
  }

  const total = batches.reduce((n, b) => n + b.files.length, 0);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, total);
  };
  options.onProgress?.(0, total);
  const workers = options.workers ?? Math.min(os.availableParallelism(), 8);
  if (workers <= 0 || total <= BATCH) {
    for (const b of batches) progress(writeFaces(b));
  } else {
    await runOnWorkers(batches, workers, progress);
  }
  return { written: done, alreadyComplete, staleRemoved, resized, skipped: data.skipped, seconds: (Date.now() - start) / 1000 };
}
