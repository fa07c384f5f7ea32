/**
 * The FER2013 CSV reader on tiny files written here: every kind of bad input gives an
 * error naming the file, the 1-based line (header = 1) and the problem, from both the
 * synchronous and the streaming reader; skipBadRows counts what it skipped.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readFerCsv, readFerCsvSync, FerCsvError, FerCsvOptions, describeSkipped } from '../../src/data/fer-csv';
import { encodeGrayPng } from '../../src/data/image-io';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-csv-test-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** 2304 pseudo-random pixels from `seed` (an LCG, so gzip cannot squeeze them to nothing). */
function pixels(seed: number): number[] {
  let x = seed + 1;
  return Array.from({ length: 2304 }, () => (x = (x * 1103515245 + 12345) % 2147483648) >> 23);
}
const row = (label: number | string, px: string | number[], usage: string) => `${label},${Array.isArray(px) ? px.join(' ') : px},${usage}`;
const HEADER = 'emotion,pixels,Usage';

function write(name: string, lines: string[], eol = '\n'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join(eol) + eol);
  return file;
}

/** Both readers must throw the same FerCsvError; returns it. */
async function expectError(file: string, line: number, pattern: RegExp, options: FerCsvOptions = {}): Promise<FerCsvError> {
  let syncErr: unknown;
  try {
    readFerCsvSync(file, options);
  } catch (err) {
    syncErr = err;
  }
  let asyncErr: unknown;
  await readFerCsv(file, options).catch((err) => (asyncErr = err));
  for (const [name, err] of [
    ['sync', syncErr],
    ['stream', asyncErr],
  ] as const) {
    assert.ok(err instanceof FerCsvError, `${name} reader should throw a FerCsvError, got ${err}`);
    assert.equal(err.file, file, `${name} names the file`);
    assert.equal(err.line, line, `${name} names line ${line}: ${err.message}`);
    assert.match(err.message, pattern, `${name}: ${err.message}`);
    assert.ok(err.message.startsWith(`${file}:${line}: `), err.message);
  }
  return syncErr as FerCsvError;
}

test('a good file: splits, labels, line numbers and pixels; sync and stream agree', async () => {
  const file = write('good.csv', [
    HEADER,
    row(3, pixels(1), 'Training'),
    row(0, pixels(2), 'PublicTest'),
    row(6, pixels(3), 'PrivateTest'),
    row(5, pixels(4), 'Training'),
  ]);
  const a = readFerCsvSync(file);
  const b = await readFerCsv(file);
  assert.deepEqual([...a.splits.train!.labels], [3, 5]);
  assert.deepEqual([...a.splits.train!.lines], [2, 5]);
  assert.deepEqual([...a.splits.validation!.lines], [3]);
  assert.deepEqual([...a.splits.test!.labels], [6]);
  assert.deepEqual([...a.splits.train!.pixels.subarray(2304, 2304 + 5)], pixels(4).slice(0, 5));
  assert.equal(a.splits.train!.pixels.length, 2 * 2304);
  for (const s of ['train', 'validation', 'test'] as const) {
    assert.deepEqual(b.splits[s], a.splits[s]);
  }
});

test('gzip, CRLF line endings, limit and splits', async () => {
  const lines = [
    HEADER,
    row(1, pixels(1), 'Training'),
    row(2, pixels(2), 'Training'),
    row(4, pixels(3), 'PrivateTest'),
    row(4, pixels(5), 'Training'),
  ];
  const file = path.join(dir, 'crlf.csv.gz');
  fs.writeFileSync(file, zlib.gzipSync(lines.join('\r\n') + '\r\n'));
  for (const data of [readFerCsvSync(file, { limit: 2 }), await readFerCsv(file, { limit: 2 })]) {
    assert.deepEqual([...data.splits.train!.labels], [1, 2]);
    assert.deepEqual([...data.splits.test!.lines], [4]);
    assert.deepEqual([...data.splits.train!.pixels.subarray(2300, 2304)], pixels(1).slice(2300));
  }
  const onlyTest = await readFerCsv(file, { splits: ['test'] });
  assert.deepEqual(Object.keys(onlyTest.splits), ['test']);
});

test('missing file and empty file', async () => {
  await expectError(path.join(dir, 'nope.csv'), 1, /no such file/);
  await expectError(write('empty.csv', []).replace(/$/, ''), 1, /file is empty/);
  fs.writeFileSync(path.join(dir, 'zero.csv'), '');
  await expectError(path.join(dir, 'zero.csv'), 1, /file is empty/);
  await expectError(write('header-only.csv', [HEADER]), 2, /no data rows after the header/);
});

test('a photo given as the CSV says what it is and points to facial predict', async () => {
  const png = path.join(dir, 'photo.csv'); // the name does not matter: the bytes do
  fs.writeFileSync(png, encodeGrayPng(new Uint8Array(4 * 4).fill(9), 4, 4));
  await expectError(
    png,
    1,
    /photo\.csv:1: is a PNG image, not a FER2013 CSV: to classify the faces in a photo use `facial predict .*photo\.csv`/,
  );
  const jpg = path.join(dir, 'photo.jpg');
  fs.writeFileSync(jpg, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1]));
  await expectError(jpg, 1, /is a JPEG image, not a FER2013 CSV/);
});

test('a header without emotion/pixels/Usage', async () => {
  const err = await expectError(write('hdr.csv', ['emotion,pix,Usage', row(0, pixels(0), 'Training')]), 1, /bad header/);
  assert.match(err.message, /missing pixels/);
});

test('wrong pixel count names the line and both counts', async () => {
  const file = write('count.csv', [HEADER, row(0, pixels(0), 'Training'), row(1, pixels(1).slice(1), 'Training')]);
  await expectError(file, 3, /pixels has 2303 values, expected 2304/);
});

test('non-integer and out-of-range pixels', async () => {
  const bad = (v: string) => {
    const p: (number | string)[] = pixels(0);
    p[9] = v;
    return p.join(' ');
  };
  await expectError(write('float.csv', [HEADER, row(0, bad('12.5'), 'Training')]), 2, /pixel 10 is '12\.5', not an integer/);
  await expectError(write('word.csv', [HEADER, row(0, pixels(1), 'Training'), row(0, bad('abc'), 'Training')]), 3, /pixel 10 is 'abc'/);
  await expectError(write('big.csv', [HEADER, row(0, bad('256'), 'Training')]), 2, /pixel 10 is 256, outside 0\.\.255/);
  await expectError(write('neg.csv', [HEADER, row(0, bad('-1'), 'Training')]), 2, /pixel 10 is -1, outside 0\.\.255/);
});

test('label outside 0..6 and unknown Usage', async () => {
  await expectError(write('label.csv', [HEADER, row(7, pixels(0), 'Training')]), 2, /emotion '7' is not a label 0\.\.6/);
  await expectError(write('label2.csv', [HEADER, row('x', pixels(0), 'Training')]), 2, /emotion 'x'/);
  await expectError(
    write('usage.csv', [HEADER, row(1, pixels(0), 'Training'), row(1, pixels(0), 'Validation')]),
    3,
    /Usage 'Validation' is not Training, PublicTest or PrivateTest/,
  );
});

test('an unclosed quote is a malformed-CSV error at its line', async () => {
  await expectError(
    write('quote.csv', [HEADER, row(0, pixels(0), 'Training'), `1,"${pixels(1).join(' ')},Training`, row(2, pixels(2), 'Training')]),
    3,
    /malformed CSV/,
  );
});

test('a truncated .gz names the line where the data stops', async () => {
  const lines = [HEADER, ...Array.from({ length: 6 }, (_, i) => row(i % 7, pixels(i * 13), 'Training'))];
  const whole = zlib.gzipSync(lines.join('\n') + '\n');
  const file = path.join(dir, 'cut.csv.gz');
  fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
  // The complete lines that survive the cut, found independently of the reader.
  const partial = zlib.gunzipSync(fs.readFileSync(file), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
  const complete = partial.split('\n').length - 1;
  assert.ok(complete >= 2 && complete < lines.length, `cut should land mid-file (${complete} lines)`);
  await expectError(file, complete + 1, /truncated or corrupt gzip data: the file ends inside line/);
});

test('skipBadRows keeps the good rows and reports how many were skipped and why', async () => {
  const file = write('mixed.csv', [
    HEADER,
    row(0, pixels(0), 'Training'),
    row(9, pixels(1), 'Training'),
    row(1, pixels(2).slice(3), 'PublicTest'),
    row(2, pixels(3), 'Nope'),
    row(3, pixels(4), 'PrivateTest'),
    row(4, pixels(5).slice(1), 'Training'),
  ]);
  for (const data of [readFerCsvSync(file, { skipBadRows: true }), await readFerCsv(file, { skipBadRows: true })]) {
    assert.deepEqual([...data.splits.train!.lines], [2]);
    assert.equal(data.splits.validation!.labels.length, 0);
    assert.deepEqual([...data.splits.test!.lines], [6]);
    assert.equal(data.skipped.count, 4);
    assert.deepEqual(data.skipped.byReason, { 'bad label': 1, 'wrong pixel count': 2, 'unknown Usage': 1 });
    assert.equal(data.skipped.examples[0], `${file}:3: emotion '9' is not a label 0..6`);
    assert.match(describeSkipped(data.skipped), /^skipped 4 bad row\(s\) \(1 bad label, 2 wrong pixel count, 1 unknown Usage\)/);
  }
  // A bad header is never skippable.
  await expectError(write('hdr2.csv', ['a,b,c', row(0, pixels(0), 'Training')]), 1, /bad header/, { skipBadRows: true });
});

test('random bytes named .csv: "not a FER2013 CSV", naming the file', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-random-')), 'random.csv');
  fs.writeFileSync(
    file,
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, ...Array.from({ length: 4000 }, (_, i) => (i * 7919 + 13) % 256)]),
  );
  assert.throws(
    () => readFerCsvSync(file, {}),
    (e: Error) => e.message.startsWith(`${file}:1: not a FER2013 CSV`),
  );
});
