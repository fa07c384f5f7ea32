/**
 * The faults of the reliability audit, each reproduced on a small case: stale and recovered
 * states, a P_best moved aside by a kill, preprocess over images of another size, models
 * with non-finite weights, mixed training logs, a UTF-8 BOM, bad --seed, and the library
 * choosing a backend when the caller has not.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { findTrainState, readTrainStateMeta, saveTrainState } from '../src/training/train-state';
import { saveCheckpoint } from '../src/io/checkpoint-io';
import { cleanRunLeftovers } from '../src/files/leftovers';
import { loadTrainedModel } from '../src/io/trained-model';
import { preprocessToFolders, facePath } from '../src/data/preprocess';
import { readFerCsvSync } from '../src/data/fer-csv';
import { Facial, SAMPLE_CSV_PATH } from '../src/facial';
import { parseTrainingLog } from '../src/evaluation/report';
import { tinyModel } from './helpers/tiny';
import { ROOT } from './helpers/paths';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rel-'));
const position = {
  nextBatch: 0,
  step: 0,
  elapsedMs: 0,
  epochSums: { loss: 0, acc: 0, seen: 0 },
  learningRate: 0.1,
  seed: 1,
  history: {},
  callbacks: [],
};

test('resume takes the newest complete state; stale .old/.tmp folders (any name, even a reused pid) are removed by the next save', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  const opt = tf.train.adam(0.1);
  const dir = path.join(tmp(), 'p_state');
  await saveTrainState(dir, model, opt, { ...position, nextEpoch: 1, seq: 1 });
  // A kill between the swap's renames leaves the previous state as .old-*; an older copy lingers too.
  fs.cpSync(dir, `${dir}.old-4-a1b2c3`, { recursive: true });
  await saveTrainState(dir, model, opt, { ...position, nextEpoch: 2, seq: 2 });
  fs.cpSync(dir, `${dir}.old-4-a1b2c3`, { recursive: true }); // a stale seq-2 copy under a name a reused pid would give
  fs.renameSync(dir, `${dir}.tmp-9-x`); // the newest copy left in staging
  fs.cpSync(`${dir}.tmp-9-x`, `${dir}.tmp-10-y`, { recursive: true });
  fs.rmSync(path.join(`${dir}.tmp-10-y`, 'state.json')); // an incomplete staging folder
  const meta = JSON.parse(fs.readFileSync(path.join(`${dir}.tmp-9-x`, 'state.json'), 'utf8'));
  meta.seq = 3;
  fs.writeFileSync(path.join(`${dir}.tmp-9-x`, 'state.json'), JSON.stringify(meta));
  assert.equal(findTrainState(dir), `${dir}.tmp-9-x`);
  await saveTrainState(dir, model, opt, { ...position, nextEpoch: 3, seq: 4 });
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['p_state']);
  assert.equal(readTrainStateMeta(dir).nextEpoch, 3);
  // A corrupt state.json is an error naming the file.
  fs.writeFileSync(path.join(dir, 'state.json'), '{"version":');
  assert.throws(() => readTrainStateMeta(dir), new RegExp(`${dir}/state\\.json: not a readable resume state`));
  model.dispose();
  opt.dispose();
});

test("a P_best moved aside by a kill between the swap's renames is still found, then put back and the leftovers removed", async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  const prefix = path.join(tmp(), 'p');
  await saveCheckpoint(model, `${prefix}_best`);
  fs.renameSync(`${prefix}_best`, `${prefix}_best.old-mabc1234-abc123`); // the kill fell here
  fs.mkdirSync(`${prefix}_best.tmp-mabc1234-def456`); // a staging folder with no model.json yet
  fs.writeFileSync(`${prefix}_model.json.tmp-1-zz`, 'partial');
  const found = await loadTrainedModel(`${prefix}_best`);
  assert.equal(found.imageSize, 8);
  found.model.dispose();
  cleanRunLeftovers(prefix);
  assert.deepEqual(fs.readdirSync(path.dirname(prefix)).sort(), ['p_best']);
  model.dispose();
});

test('preprocess rewrites images left by a run with another size instead of calling them complete', async () => {
  const out = tmp();
  const csv = path.join(out, 'one.csv');
  fs.writeFileSync(csv, `emotion,pixels,Usage\n3,${Array.from({ length: 2304 }, (_, i) => i % 256).join(' ')},Training\n`);
  await preprocessToFolders({ csvPath: csv, outDir: out, size: 48, workers: 0 });
  const r = await preprocessToFolders({ csvPath: csv, outDir: out, size: 20, workers: 0 });
  assert.deepEqual([r.written, r.alreadyComplete, r.resized], [1, 0, 1]);
  const png = fs.readFileSync(facePath(out, 'train', 3, 2));
  assert.equal(png.readUInt32BE(16), 20);
  const again = await preprocessToFolders({ csvPath: csv, outDir: out, size: 20, workers: 0 });
  assert.deepEqual([again.written, again.alreadyComplete], [0, 1]);
});

test('a model with a NaN weight is refused by name (file and layer) instead of scored', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  const w = model.getWeights();
  const kernel = w[0].arraySync() as number[][][][];
  kernel[0][0][0][0] = NaN;
  model.setWeights([tf.tensor(kernel), ...w.slice(1)]);
  const dir = path.join(tmp(), 'nan');
  await saveCheckpoint(model, dir);
  await assert.rejects(
    loadTrainedModel(dir),
    (e: Error) => e.message.includes(dir) && /not finite .* in layer conv2d_\w+ \(weight/.test(e.message),
  );
  model.dispose();
});

test('a training log with a repeated epoch is rejected naming the line', () => {
  assert.throws(() => parseTrainingLog('epoch,loss\n0,1\n1,0.9\n1,0.8\n', 'log.csv'), /log\.csv:4: epoch 1 follows epoch 1 \(a duplicated/);
});

test('the sync reader accepts a UTF-8 byte-order mark as the streaming reader does', async () => {
  const dir = tmp();
  const text = zlib.gunzipSync(fs.readFileSync(SAMPLE_CSV_PATH)).toString('latin1').split('\n').slice(0, 4).join('\n') + '\n';
  const file = path.join(dir, 'bom.csv');
  fs.writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'latin1')]));
  assert.equal(readFerCsvSync(file, {}).splits.train!.labels.length, 3);
  const f = await Facial.load({ csvPath: file, compact: true });
  assert.equal(f.count('train'), 3);
});

const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
const runCli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

test('--seed must be a whole number', () => {
  const r = runCli(['train', '--seed', 'abc', '--epochs', '1']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--seed must be a whole number >= 0, got 'abc'/);
});

test('the library picks the fastest backend when the caller chose none, and keeps one the caller set', () => {
  const code = (pre: string) =>
    `${pre}require('./src/engine/select').ensureBackend().then(() => console.log('backend=' + require('@tensorflow/tfjs').getBackend()))`;
  const auto = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code('')], { encoding: 'utf8', cwd: ROOT });
  assert.match(auto.stdout, /backend=wasm/, auto.stderr);
  assert.match(auto.stderr, /facial: using backend wasm/);
  const chosen = spawnSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-e', code("require('@tensorflow/tfjs').setBackend('cpu').then(() => ") + ')'],
    { encoding: 'utf8', cwd: ROOT },
  );
  assert.match(chosen.stdout, /backend=cpu/, chosen.stderr);
});
