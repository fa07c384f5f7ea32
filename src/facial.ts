/**
 * FER2013 in memory, as setup_facial.py's FACIAL class: `new Facial()` reads the CSV
 * synchronously like `data = FACIAL()`, `await Facial.load()` streams it. Images come out
 * as float32 [N, size, size, 1] in -0.5..0.5 and labels as one-hot [N, 7].
 *
 * The file is first read into compact per-split buffers (48x48 uint8, 82 MB for the whole
 * dataset). Full tensors are then built split by split into ONE preallocated Float32Array
 * each, which tf takes without copying on the cpu backend; 200x200 for all splits is
 * 5.74 GB (the seed's float64 needed 11.5 GB). In `compact` mode no full tensor is built and
 * `batch()` resizes per batch, which is how 200x200 training fits anywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FER_SIZE, NUM_CLASSES } from './data/emotions';
import {
  FER_PIXELS,
  FerCsvData,
  FerSplitRaw,
  SPLITS,
  SkippedRows,
  SplitName,
  describeSkipped,
  readFerCsv,
  readFerCsvSync,
} from './data/fer-csv';
import { prepareFaceNormalisedInto } from './data/resize';
import { PARALLEL_FILL, fillFacesParallel } from './data/parallel-fill';
import { capability } from './engine/capabilities';
import { countClasses, oneHot } from './data/labels';
import { ArrayBatch, toBatch } from './data/data-source';

export type { SplitName } from './data/fer-csv';

/** Options for `new Facial()` and `Facial.load()`. */
export interface FacialOptions {
  /** FER2013 CSV, plain or .gz. Default `fer2013/fer2013.csv` (cwd), else the embedded sample. */
  csvPath?: string;
  /** Output side in pixels (the seed's `resize`); none = 48, the file's own size. */
  resize?: number;
  /**
   * Stretch each image's own min..max to 0..255 before resizing (scipy's bytescale, which
   * the seed's imresize applies). Default: true when `resize` is set, false otherwise, as
   * in the seed; pass false to resize the raw grey levels.
   */
  stretch?: boolean;
  /** Splits to load (default all). A split not loaded has null tensors and count 0. */
  splits?: SplitName[];
  /** At most this many rows per split, for quick experiments. */
  limit?: number;
  /** Skip invalid rows (reported on stderr and in `skipped`) instead of throwing. */
  skipBadRows?: boolean;
  /** Keep only 48x48 uint8 pixels and labels; no full tensors; use `batch()` (for 200x200 training). */
  compact?: boolean;
}

/** The CSV path the seed uses, relative to the working directory. */
export const DEFAULT_CSV_PATH = 'fer2013/fer2013.csv';

/** The embedded stratified sample, resolved from the package root (works from src/ and dist/). */
export const SAMPLE_CSV_PATH = path.resolve(__dirname, '..', 'data', 'fer2013-sample.csv.gz');

let sampleNoticeShown = false;

/** The file to read: the given path, the seed's default, or the embedded sample (said once on stderr). */
function resolveCsvPath(csvPath: string | undefined): string {
  if (csvPath !== undefined) return csvPath;
  if (fs.existsSync(DEFAULT_CSV_PATH)) return DEFAULT_CSV_PATH;
  if (!sampleNoticeShown) {
    sampleNoticeShown = true;
    process.stderr.write(
      `facial: ${DEFAULT_CSV_PATH} not found; using the embedded FER2013 sample ${SAMPLE_CSV_PATH} (--data PATH on the command line, csvPath in code, for the full dataset)\n`,
    );
  }
  return SAMPLE_CSV_PATH;
}

function checkOptions(o: FacialOptions): void {
  if (o.resize !== undefined && !(Number.isInteger(o.resize) && o.resize >= 1)) {
    throw new Error(`Facial: resize must be a positive integer side in pixels, got ${o.resize}`);
  }
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit >= 0)) {
    throw new Error(`Facial: limit must be an integer >= 0, got ${o.limit}`);
  }
  for (const s of o.splits ?? []) {
    if (!SPLITS.includes(s)) throw new Error(`Facial: unknown split '${s}' (use ${SPLITS.join(', ')})`);
  }
}

/** FER2013 in memory, as setup_facial.py's FACIAL class. */
export class Facial {
  /** Train images [N, size, size, 1] in -0.5..0.5, built on first access (null when compact or not loaded). */
  get trainData(): tf.Tensor4D | null {
    return this.full('train')?.xs ?? null;
  }
  /** Train labels, one-hot [N, 7]. */
  get trainLabels(): tf.Tensor2D | null {
    return this.full('train')?.ys ?? null;
  }
  /** Validation (PublicTest) images. */
  get validationData(): tf.Tensor4D | null {
    return this.full('validation')?.xs ?? null;
  }
  /** Validation (PublicTest) labels. */
  get validationLabels(): tf.Tensor2D | null {
    return this.full('validation')?.ys ?? null;
  }
  /** Test (PrivateTest) images. */
  get testData(): tf.Tensor4D | null {
    return this.full('test')?.xs ?? null;
  }
  /** Test (PrivateTest) labels. */
  get testLabels(): tf.Tensor2D | null {
    return this.full('test')?.ys ?? null;
  }
  // Full tensors are made only when read: the training loop and verify go through batch(),
  // so at 48x48 a `facial train` no longer builds ~330 MB of tensors it never reads.
  private tensors: Partial<Record<SplitName, { xs: tf.Tensor4D; ys: tf.Tensor2D }>> = {};
  private disposed = false;
  /** Side of every image this object hands out (resize ?? 48). */
  readonly size: number;
  /** Whether images are bytescaled before resizing (see FacialOptions.stretch). */
  readonly stretch: boolean;
  /** True when only compact 48x48 uint8 data is held (no full tensors). */
  readonly compact: boolean;
  /** The CSV that was read. */
  readonly csvPath: string;
  /** Rows left out by `skipBadRows` (count 0 otherwise). */
  readonly skipped: SkippedRows;
  private readonly rawSplits: Partial<Record<SplitName, FerSplitRaw>>;

  /**
   * Reads the CSV synchronously (readFileSync + gunzipSync) and builds the tensors.
   * Throws FerCsvError (file:line: reason) on bad input before any tensor exists.
   */
  constructor(options: FacialOptions = {}, /** @internal already-read data, from Facial.load */ preread?: FerCsvData) {
    checkOptions(options);
    this.size = options.resize ?? FER_SIZE;
    this.stretch = options.stretch ?? options.resize !== undefined;
    this.compact = options.compact ?? false;
    const data = preread ?? readFerCsvSync(resolveCsvPath(options.csvPath), options);
    this.csvPath = data.file;
    this.rawSplits = data.splits;
    this.skipped = data.skipped;
    if (this.skipped.count > 0) process.stderr.write(`facial: ${describeSkipped(this.skipped)}\n`);
    if (!this.compact) this.checkFullTensorsFit();
  }

  /** Same as `new Facial(options)`, but streams the file instead of holding its text in memory. */
  static async load(options: FacialOptions = {}): Promise<Facial> {
    checkOptions(options);
    const data = await readFerCsv(resolveCsvPath(options.csvPath), options);
    return new Facial(options, data);
  }

  /** Bytes the full float32 image tensors of the loaded splits take at this size. */
  fullTensorBytes(): number {
    return SPLITS.reduce((sum, s) => sum + this.count(s) * this.size * this.size * 4, 0);
  }

  private checkFullTensorsFit(): void {
    const needed = this.fullTensorBytes();
    // The engine of the active backend says how much it can hold (the wasm heap); others have no such bound.
    const limit = capability('dataLimitBytes');
    if (limit !== undefined && needed > limit) {
      const gb = (b: number) => (b / 1024 ** 3).toFixed(2);
      throw new Error(
        `Facial: the full ${this.size}x${this.size} float32 tensors need ${needed} bytes (${gb(needed)} GiB), ` +
          `more than the ${tf.getBackend()} backend can hold beside a model (limit ${gb(limit)} GiB of its memory); ` +
          `use { compact: true } and batch(), load fewer splits, or set a limit`,
      );
    }
  }

  /** The full tensors of `split`, built on first use; null in compact mode, for a split not loaded, or after dispose. */
  private full(split: SplitName): { xs: tf.Tensor4D; ys: tf.Tensor2D } | null {
    if (this.compact || this.disposed || this.rawSplits[split] === undefined) return null;
    const have = this.tensors[split];
    if (have) return have;
    const n = this.count(split);
    const s = this.size;
    let xs: Float32Array;
    if (n * s * s >= PARALLEL_FILL.minFloats && PARALLEL_FILL.threads > 1) {
      // Shared memory so worker threads can write their ranges straight into the one array.
      xs = new Float32Array(new SharedArrayBuffer(n * s * s * 4));
      fillFacesParallel(this.rawOrThrow(split).pixels, n, FER_SIZE, s, this.stretch, xs);
    } else {
      xs = new Float32Array(n * s * s);
      this.fillImages(split, null, xs);
    }
    // tf keeps the typed array itself on the cpu backend: no second copy of the images.
    // Kept: the first read may happen inside someone's tf.tidy, which must not free them.
    const built = { xs: tf.keep(tf.tensor4d(xs, [n, s, s, 1], 'float32')), ys: tf.keep(this.oneHot(split, null)) };
    this.tensors[split] = built;
    return built;
  }

  /** Writes images `indices` (all when null) of `split`, prepared and normalised, into `out`. */
  private fillImages(split: SplitName, indices: ArrayLike<number> | null, out: Float32Array): void {
    const raw = this.rawOrThrow(split);
    const s = this.size,
      area = s * s;
    const n = indices ? indices.length : raw.labels.length;
    for (let k = 0; k < n; k++) {
      const i = indices ? indices[k] : k;
      const src = raw.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
      prepareFaceNormalisedInto(src, FER_SIZE, FER_SIZE, s, this.stretch, out, k * area);
    }
  }

  private oneHot(split: SplitName, indices: ArrayLike<number> | null): tf.Tensor2D {
    return oneHot(this.rawOrThrow(split).labels, NUM_CLASSES, indices ?? undefined);
  }

  private rawOrThrow(split: SplitName): FerSplitRaw {
    const raw = this.rawSplits[split];
    if (raw === undefined)
      throw new Error(`Facial: split '${split}' was not loaded (loaded: ${Object.keys(this.rawSplits).join(', ') || 'none'})`);
    return raw;
  }

  /** Number of rows loaded for `split` (0 when not loaded). */
  count(split: SplitName): number {
    return this.rawSplits[split]?.labels.length ?? 0;
  }

  /** Class ids 0..6 of `split`, in file order (empty when not loaded). Do not modify. */
  labels(split: SplitName): Uint8Array {
    return this.rawSplits[split]?.labels ?? new Uint8Array(0);
  }

  /** Rows per class (7 counts) in `split`. */
  classCounts(split: SplitName): number[] {
    return countClasses(this.labels(split), NUM_CLASSES);
  }

  /**
   * Rows `indices` of `split` as tensors prepared exactly like the full ones (same
   * stretch, resize and normalisation). Works in compact and full mode; the caller disposes.
   */
  batch(split: SplitName, indices: ArrayLike<number>): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
    return toBatch(this.batchPixels(split, indices));
  }

  /** As batch(), with the images as a Float32Array [N, size, size, 1] (augmentation works on it before a tensor exists). */
  batchPixels(split: SplitName, indices: ArrayLike<number>): ArrayBatch {
    const n = this.rawOrThrow(split).labels.length;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`Facial.batch('${split}'): index ${i} is outside 0..${n - 1}`);
    }
    const s = this.size;
    const pixels = new Float32Array(indices.length * s * s);
    this.fillImages(split, indices, pixels);
    return { pixels, shape: [indices.length, s, s, 1], ys: this.oneHot(split, indices) };
  }

  /** The split as read from the file (48x48 uint8 pixels, labels, CSV line numbers), or null. */
  raw(split: SplitName): FerSplitRaw | null {
    return this.rawSplits[split] ?? null;
  }

  /** Frees every tensor this object holds (the properties become null). */
  dispose(): void {
    for (const t of Object.values(this.tensors)) tf.dispose([t.xs, t.ys]);
    this.tensors = {};
    this.disposed = true;
  }
}
