/**
 * preprocessToFolders: the seed's folder layout, images identical to prepareFace, resume
 * (complete PNGs untouched, stale temporary files not taken as complete), and a failed
 * write that leaves no half-written file, in this thread and on worker threads.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { preprocessToFolders, facePath } from '../../src/data/preprocess';
import { readImage, toGrayscale } from '../../src/data/image-io';
import { prepareFace } from '../../src/data/resize';
import { readFerCsvSync } from '../../src/data/fer-csv';
import { SAMPLE_CSV_PATH } from '../../src/facial';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preprocess-test-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

function pixels(seed: number): number[] {
  let x = seed + 1;
  return Array.from({ length: 2304 }, () => (x = (x * 69069 + 1) % 4294967296) >>> 24);
}
const ROWS: [number, string][] = [
  [3, 'Training'],
  [0, 'Training'],
  [6, 'PublicTest'],
  [3, 'PrivateTest'],
  [1, 'Training'],
];
const csv = path.join(dir, 'tiny.csv');
fs.writeFileSync(csv, ['emotion,pixels,Usage', ...ROWS.map(([l, u], i) => `${l},${pixels(i).join(' ')},${u}`)].join('\n') + '\n');

/** Every file under `root`, relative, sorted. */
function listFiles(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(root, f)).isFile()).sort();
}

test('writes <out>/<split>_dir/<label>/<label>_<line>.png, each equal to prepareFace', async () => {
  const out = path.join(dir, 'layout');
  const r = await preprocessToFolders({ csvPath: csv, outDir: out, size: 20, workers: 0 });
  assert.equal(r.written, 5);
  assert.deepEqual(
    listFiles(out),
    ['test_dir/3/3_5.png', 'train_dir/0/0_3.png', 'train_dir/1/1_6.png', 'train_dir/3/3_2.png', 'validation_dir/6/6_4.png'].map((f) =>
      f.split('/').join(path.sep),
    ),
  );
  assert.ok(fs.statSync(path.join(out, 'train_dir', '5')).isDirectory(), 'every class folder exists, even empty');
  const img = readImage(path.join(out, 'validation_dir', '6', '6_4.png'));
  assert.deepEqual([img.width, img.height], [20, 20]);
  assert.deepEqual(toGrayscale(img), prepareFace(new Uint8Array(pixels(2)), 48, 48, 20, true));
});

test('a rerun skips complete images, rewrites a missing one and ignores (removes) its stale temp file', async () => {
  const out = path.join(dir, 'resume');
  await preprocessToFolders({ csvPath: csv, outDir: out, size: 16, workers: 0 });
  const kept = facePath(out, 'train', 3, 2);
  const old = new Date('2001-01-01T00:00:00Z');
  fs.utimesSync(kept, old, old);
  // Simulate a run killed mid-write: the final name is missing, a partial temporary file remains.
  const lost = facePath(out, 'train', 0, 3);
  const want = fs.readFileSync(lost);
  fs.rmSync(lost);
  fs.writeFileSync(`${lost}.tmp-4242-abc`, want.subarray(0, 10));
  const r = await preprocessToFolders({ csvPath: csv, outDir: out, size: 16, workers: 0 });
  assert.deepEqual([r.written, r.alreadyComplete, r.staleRemoved], [1, 4, 1]);
  assert.equal(fs.statSync(kept).mtime.getTime(), old.getTime(), 'complete image not rewritten');
  assert.deepEqual(fs.readFileSync(lost), want);
  assert.ok(!listFiles(out).some((f) => f.includes('.tmp-')));
});

test('bad CSV: error before any image is written', async () => {
  const bad = path.join(dir, 'bad.csv');
  fs.writeFileSync(bad, `emotion,pixels,Usage\n1,${pixels(0).join(' ')},Training\n9,${pixels(1).join(' ')},Training\n`);
  const out = path.join(dir, 'bad-out');
  await assert.rejects(preprocessToFolders({ csvPath: bad, outDir: out, workers: 0 }), new RegExp(`${bad}:3: emotion '9'`));
  assert.ok(!fs.existsSync(out));
});

test('worker threads write the same images; a failed write names the file and leaves no partial file', async () => {
  const sample = readFerCsvSync(SAMPLE_CSV_PATH).splits.train!;
  const out = path.join(dir, 'workers');
  // A directory squatting on one target name makes its rename fail mid-run.
  const blocked = facePath(out, 'train', sample.labels[100], sample.lines[100]);
  fs.mkdirSync(blocked, { recursive: true });
  await assert.rejects(preprocessToFolders({ csvPath: SAMPLE_CSV_PATH, outDir: out, size: 12, workers: 2 }), (err: Error) =>
    err.message.includes(blocked),
  );
  const files = listFiles(out);
  assert.ok(!files.some((f) => f.includes('.tmp-')), 'no temporary file left');
  for (const f of files) assert.deepEqual(readImage(path.join(out, f)).width, 12, `${f} is a complete PNG`);
  // With the obstacle gone the rerun completes, and images match the in-thread result.
  fs.rmdirSync(blocked);
  const r = await preprocessToFolders({ csvPath: SAMPLE_CSV_PATH, outDir: out, size: 12, workers: 2 });
  assert.equal(r.written + r.alreadyComplete, 322); // 2 batches of <= 256: both workers ran
  for (const i of [0, 100, 209]) {
    const expect = prepareFace(sample.pixels.subarray(i * 2304, (i + 1) * 2304), 48, 48, 12, true);
    assert.deepEqual(toGrayscale(readImage(facePath(out, 'train', sample.labels[i], sample.lines[i]))), expect);
  }
});
