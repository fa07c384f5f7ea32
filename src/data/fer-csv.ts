/**
 * Reading the FER2013 CSV (Kaggle layout: `emotion,pixels,Usage`), plain or gzipped,
 * into compact per-split buffers of 48x48 uint8 pixels. papaparse does the CSV framing;
 * the 2304 pixel integers of each row are parsed by a hand loop over character codes
 * because that is the hot path of the whole load (82 million numbers).
 *
 * The synchronous reader (readFileSync + gunzipSync) and the streaming one
 * (createReadStream -> createGunzip -> Papa.parse) feed rows to the same FerRowCollector,
 * so both validate identically. Every problem is a FerCsvError naming the file, the
 * 1-based line (the header is line 1) and what is wrong, or, with `skipBadRows`, a
 * counted skip.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import Papa from 'papaparse';
import { FER_SIZE, NUM_CLASSES } from './emotions';
import { imageFormat } from './image-io';

/** A FER2013 split, in this library's names (Training, PublicTest, PrivateTest). */
export type SplitName = 'train' | 'validation' | 'test';

/** All splits, in file order of their Usage names. */
export const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

/** The CSV's Usage value for each split. */
export const USAGE_OF_SPLIT: Readonly<Record<SplitName, string>> = { train: 'Training', validation: 'PublicTest', test: 'PrivateTest' };

const SPLIT_OF_USAGE: Record<string, SplitName> = { Training: 'train', PublicTest: 'validation', PrivateTest: 'test' };

/** Pixels per FER2013 row (48 x 48). */
export const FER_PIXELS = FER_SIZE * FER_SIZE;

/** One split as the file holds it: row-major 48x48 uint8 faces, class ids and CSV line numbers. */
export interface FerSplitRaw {
  pixels: Uint8Array; // count * 2304
  labels: Uint8Array; // count
  lines: Uint32Array; // count; header = line 1
}

/** Rows left out by `skipBadRows`: how many, how many per reason, and the first few messages. */
export interface SkippedRows {
  count: number;
  byReason: Record<string, number>;
  examples: string[];
}

/** What a read returns: the requested splits, plus the skip report. */
export interface FerCsvData {
  file: string;
  splits: Partial<Record<SplitName, FerSplitRaw>>;
  skipped: SkippedRows;
}

/** Options shared by readFerCsvSync and readFerCsv. */
export interface FerCsvOptions {
  /** Splits to keep (default: all three). Rows of other splits are still validated. */
  splits?: readonly SplitName[];
  /** Keep at most this many rows per split; reading stops once every kept split is full. */
  limit?: number;
  /** Skip invalid rows (counted in `skipped`) instead of failing on the first. */
  skipBadRows?: boolean;
}

/** A problem in a FER2013 CSV: `file:line: reason`. `line` is 1-based, the header is line 1. */
export class FerCsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'FerCsvError';
  }
}

/** A row problem that `skipBadRows` may skip; `kind` groups the skip report. */
class RowProblem {
  constructor(
    readonly kind: string,
    readonly reason: string,
  ) {}
}

/** Growable typed storage for one split while the file streams past. */
class SplitBuilder {
  count = 0;
  pixels = new Uint8Array(FER_PIXELS * 1024);
  labels = new Uint8Array(1024);
  lines = new Uint32Array(1024);

  /** Room for one more row; returns the pixel offset to write it at. */
  reserve(): number {
    if (this.count === this.labels.length) {
      const cap = this.labels.length * 2;
      const grow = <T extends Uint8Array | Uint32Array>(a: T, n: number): T => {
        const b = new (a.constructor as { new (n: number): T })(n);
        b.set(a);
        return b;
      };
      this.pixels = grow(this.pixels, cap * FER_PIXELS);
      this.labels = grow(this.labels, cap);
      this.lines = grow(this.lines, cap);
    }
    return this.count * FER_PIXELS;
  }

  /** Exact-size copies, so the oversized growth buffers can be freed. */
  finish(): FerSplitRaw {
    return {
      pixels: this.pixels.slice(0, this.count * FER_PIXELS),
      labels: this.labels.slice(0, this.count),
      lines: this.lines.slice(0, this.count),
    };
  }
}

/**
 * Parses one `pixels` field into out[off .. off+2304). Whitespace-separated decimal
 * integers 0..255; anything else is a RowProblem. Counts past 2304 without writing so
 * the error can say how many there were.
 */
function parsePixels(s: string, out: Uint8Array, off: number): void {
  let n = 0,
    v = 0,
    digits = 0;
  const len = s.length;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? s.charCodeAt(i) : 32;
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
    } else if (c === 32 || c === 9) {
      if (digits > 0) {
        if (v > 255) throw new RowProblem('pixel out of range', `pixel ${n + 1} is ${v}, outside 0..255`);
        if (n < FER_PIXELS) out[off + n] = v;
        n++;
        v = 0;
        digits = 0;
      }
    } else {
      const start = s.lastIndexOf(' ', i) + 1;
      let end = s.indexOf(' ', i);
      if (end < 0) end = len;
      const token = s.slice(start, Math.min(end, start + 20));
      if (/^-\d+$/.test(token)) throw new RowProblem('pixel out of range', `pixel ${n + 1} is ${token}, outside 0..255`);
      throw new RowProblem('non-integer pixel', `pixel ${n + 1} is '${token}', not an integer 0..255`);
    }
  }
  if (n !== FER_PIXELS) {
    throw new RowProblem('wrong pixel count', `pixels has ${n} values, expected ${FER_PIXELS} (${FER_SIZE}x${FER_SIZE})`);
  }
}

/**
 * Validates rows and stores the requested splits. Both readers drive it: `header()`
 * with line 1, then `row()` per line; `row()` returns false once nothing more is wanted.
 */
export class FerRowCollector {
  private col = { emotion: -1, pixels: -1, usage: -1 };
  private sawHeader = false;
  private builders = new Map<SplitName, SplitBuilder>();
  private scratch = new Uint8Array(FER_PIXELS);
  private limit: number;
  readonly skipped: SkippedRows = { count: 0, byReason: {}, examples: [] };
  lastLine = 0;
  private dataRows = 0;

  constructor(
    readonly file: string,
    private options: FerCsvOptions = {},
  ) {
    for (const s of options.splits ?? SPLITS) {
      if (!SPLITS.includes(s)) throw new Error(`unknown split '${s}' (use ${SPLITS.join(', ')})`);
      this.builders.set(s, new SplitBuilder());
    }
    this.limit = options.limit ?? Infinity;
    if (!(this.limit >= 0)) throw new Error(`limit must be a number >= 0, got ${options.limit}`);
  }

  /** Takes one CSV record (already split into fields) at 1-based `line`. */
  row(fields: string[], line: number): boolean {
    this.lastLine = line;
    if (!this.sawHeader) {
      this.header(fields, line);
      return this.wantsMore();
    }
    if (fields.length === 1 && fields[0] === '') return true; // blank line (e.g. the final newline)
    this.dataRows++;
    try {
      this.record(fields);
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      if (!this.options.skipBadRows) throw new FerCsvError(this.file, line, err.reason);
      this.skip(err, line);
    }
    return this.wantsMore();
  }

  /**
   * One papaparse step result at `line`, from either reader; false once nothing more is wanted.
   * Typed by the fields it reads rather than as Papa.ParseStepResult, so the published .d.ts
   * needs no papaparse types (a dev dependency) to compile.
   */
  step(results: { data: string[]; errors: Array<{ type: string; message: string }> }, line: number): boolean {
    const quoteError = results.errors.find((e) => e.type === 'Quotes');
    if (quoteError) {
      this.malformed(quoteError.message, line);
      return true;
    }
    return this.row(results.data, line);
  }

  /** A problem found by the CSV framer (e.g. an unclosed quote) at `line`. */
  malformed(message: string, line: number): void {
    if (!this.sawHeader) {
      throw new FerCsvError(this.file, line, `not a FER2013 CSV (its first line is not the header emotion,pixels,Usage: ${message})`);
    }
    const problem = new RowProblem('malformed CSV', `malformed CSV: ${message}`);
    if (!this.options.skipBadRows || !this.sawHeader) throw new FerCsvError(this.file, line, problem.reason);
    this.skip(problem, line);
  }

  private skip(problem: RowProblem, line: number): void {
    this.skipped.count++;
    this.skipped.byReason[problem.kind] = (this.skipped.byReason[problem.kind] ?? 0) + 1;
    if (this.skipped.examples.length < 5) this.skipped.examples.push(`${this.file}:${line}: ${problem.reason}`);
  }

  private header(fields: string[], line: number): void {
    if (fields.length === 1 && fields[0].trim() === '')
      throw new FerCsvError(this.file, line, 'file is empty (expected the header emotion,pixels,Usage)');
    // A UTF-8 byte-order mark (spreadsheet exports write one) reads as U+FEFF, or as 'ï»¿' through latin1.
    const names = fields.map((f, i) => (i === 0 ? f.replace(/^(\uFEFF|\u00EF\u00BB\u00BF)/, '') : f).trim());
    this.col = { emotion: names.indexOf('emotion'), pixels: names.indexOf('pixels'), usage: names.indexOf('Usage') };
    const missing = Object.entries({ emotion: this.col.emotion, pixels: this.col.pixels, Usage: this.col.usage })
      .filter(([, i]) => i < 0)
      .map(([name]) => name);
    // eslint-disable-next-line no-control-regex -- control bytes are exactly what marks a binary file
    if (missing.length > 0 && /[\x00-\x08\x0e-\x1f]/.test(fields.join(','))) {
      throw new FerCsvError(this.file, line, 'not a FER2013 CSV: the file is binary (expected the text header emotion,pixels,Usage)');
    }
    if (missing.length > 0) {
      const shown = fields.join(',').slice(0, 80);
      throw new FerCsvError(
        this.file,
        line,
        `bad header '${shown}': it must name the columns emotion, pixels and Usage (missing ${missing.join(', ')})`,
      );
    }
    this.sawHeader = true;
  }

  private record(fields: string[]): void {
    const { emotion, pixels, usage } = this.col;
    const need = Math.max(emotion, pixels, usage) + 1;
    if (fields.length < need) throw new RowProblem('too few fields', `row has ${fields.length} field(s), the header names ${need}`);
    const labelText = fields[emotion].trim();
    const label = /^\d+$/.test(labelText) ? Number(labelText) : NaN;
    if (!(label >= 0 && label < NUM_CLASSES))
      throw new RowProblem('bad label', `emotion '${labelText}' is not a label 0..${NUM_CLASSES - 1}`);
    const usageText = fields[usage].trim();
    const split = SPLIT_OF_USAGE[usageText];
    if (split === undefined) throw new RowProblem('unknown Usage', `Usage '${usageText}' is not Training, PublicTest or PrivateTest`);
    const b = this.builders.get(split);
    if (b === undefined || b.count >= this.limit) {
      parsePixels(fields[pixels], this.scratch, 0); // still validated, not kept
      return;
    }
    const off = b.reserve();
    parsePixels(fields[pixels], b.pixels, off); // a bad row is not counted, so its bytes are overwritten later
    b.labels[b.count] = label;
    b.lines[b.count] = this.lastLine;
    b.count++;
  }

  private wantsMore(): boolean {
    for (const b of this.builders.values()) if (b.count < this.limit) return true;
    return false;
  }

  /** Ends the read: checks the file had a header and returns the splits. */
  finish(): FerCsvData {
    if (!this.sawHeader) throw new FerCsvError(this.file, 1, 'file is empty (expected the header emotion,pixels,Usage)');
    if (this.dataRows === 0 && this.wantsMore()) throw new FerCsvError(this.file, 2, 'no data rows after the header');
    const splits: Partial<Record<SplitName, FerSplitRaw>> = {};
    for (const [name, b] of this.builders) splits[name] = b.finish();
    return { file: this.file, splits, skipped: this.skipped };
  }
}

/** One line summarising a skip report, e.g. "skipped 2 bad rows (1 bad label, 1 wrong pixel count); first: f:3: ...". */
export function describeSkipped(skipped: SkippedRows): string {
  if (skipped.count === 0) return 'no rows skipped';
  const why = Object.entries(skipped.byReason)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `skipped ${skipped.count} bad row(s) (${why}); first: ${skipped.examples[0]}`;
}

function checkFile(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new FerCsvError(file, 1, 'no such file (get fer2013.csv from Kaggle, see the README)');
  }
  if (stat.isDirectory()) throw new FerCsvError(file, 1, 'is a directory, expected a .csv or .csv.gz file');
  if (stat.size === 0) throw new FerCsvError(file, 1, 'file is empty (expected the header emotion,pixels,Usage)');
  // A photo passed where the data goes: say what it is and where photos go, not "bad header".
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const format = imageFormat(head);
  if (format)
    throw new FerCsvError(
      file,
      1,
      `is a ${format} image, not a FER2013 CSV: to classify the faces in a photo use \`facial predict ${file}\` (predict() / predictFaces() in the library)`,
    );
}

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

function truncatedGzip(file: string, line: number, detail: string): FerCsvError {
  return new FerCsvError(file, line, `truncated or corrupt gzip data: the file ends inside line ${line} (${detail})`);
}

/** Feeds CSV text to the collector; text ends at a line boundary unless it is the whole file. */
function parseText(text: string, collector: FerRowCollector): void {
  let line = 0;
  Papa.parse<string[]>(text, {
    delimiter: ',', // FER2013 is comma-separated; naming it skips papaparse's guessing
    skipEmptyLines: false,
    step: (results, parser) => {
      if (!collector.step(results, ++line)) parser.abort();
    },
  });
}

/**
 * Reads a FER2013 CSV (plain or gzip, detected by its first bytes) synchronously.
 * Throws FerCsvError on the first bad row unless `skipBadRows`.
 */
export function readFerCsvSync(file: string, options: FerCsvOptions = {}): FerCsvData {
  checkFile(file);
  const collector = new FerRowCollector(file, options);
  let bytes: Buffer = fs.readFileSync(file);
  if (isGzip(bytes)) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      // Salvage what decompresses so rows before the cut are still checked first, as the stream reader does.
      let partial = '';
      try {
        partial = zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('latin1');
      } catch {
        // corrupt rather than cut short: nothing to salvage
      }
      // Without its final newline, so papaparse adds no empty row and lastLine = complete lines.
      const cut = partial.lastIndexOf('\n');
      if (cut >= 0) parseText(partial.slice(0, cut), collector);
      throw truncatedGzip(file, collector.lastLine + 1, (err as Error).message);
    }
  }
  const text = bytes.toString('latin1'); // FER2013 is ASCII; latin1 is the fastest exact decoding
  bytes = Buffer.alloc(0);
  parseText(text, collector);
  return collector.finish();
}

/**
 * Reads a FER2013 CSV (plain or gzip) as a stream, never holding the whole text in
 * memory. Same validation and result as readFerCsvSync.
 */
export async function readFerCsv(file: string, options: FerCsvOptions = {}): Promise<FerCsvData> {
  checkFile(file);
  const collector = new FerRowCollector(file, options);
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const gunzip = isGzip(head) ? zlib.createGunzip({ chunkSize: 1 << 20 }) : null;
  const source: NodeJS.ReadableStream = gunzip ? raw.pipe(gunzip) : raw;
  return new Promise<FerCsvData>((resolve, reject) => {
    let done = false;
    let line = 0;
    const stop = (err: Error | null, data?: FerCsvData) => {
      if (done) return;
      done = true;
      raw.destroy();
      gunzip?.destroy();
      if (err) reject(err);
      else resolve(data!);
    };
    raw.on('error', (err) => stop(new FerCsvError(file, line + 1, `read failed: ${err.message}`)));
    gunzip?.on('error', (err) => stop(truncatedGzip(file, collector.lastLine + 1, err.message)));
    Papa.parse(source as unknown as File, {
      delimiter: ',', // FER2013 is comma-separated; naming it skips papaparse's guessing
      skipEmptyLines: false,
      step: (results: Papa.ParseStepResult<string[]>, parser: Papa.Parser) => {
        if (done) return;
        line++;
        try {
          if (!collector.step(results, line)) {
            // Every kept split is full: stop reading now rather than at the end of the stream.
            stop(null, collector.finish());
            parser.abort(); // after stop(): abort() calls complete() synchronously
          }
        } catch (err) {
          stop(err as Error);
          parser.abort();
        }
      },
      complete: () => {
        if (done) return;
        try {
          stop(null, collector.finish());
        } catch (err) {
          stop(err as Error);
        }
      },
      error: (err: Error) => stop(new FerCsvError(file, line + 1, err.message)),
    });
  });
}
