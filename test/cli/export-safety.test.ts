/**
 * `facial export` loses nothing it did not write (issue 18, items 1 and 2), and a model's
 * weight files are checked against the sha256 its model.json records (item 10).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src/io/model-io';
import { saveTrainState } from '../../src/training/train-state';
import { cleanRunLeftovers } from '../../src/files/leftovers';
import { tinyModel } from '../helpers/tiny';
import { ROOT } from '../helpers/paths';
import { runCli } from '../helpers/cli';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'export-'));
const run = (cwd: string, ...args: string[]) => runCli(['export', '--model_weights', ...args, '--backend', 'cpu'], { cwd });
const tree = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [`${e.name}/`, ...tree(path.join(dir, e.name)).map((f) => `${e.name}/${f}`)] : [e.name]))
    .sort();

const source = path.join(root, 'src-model');
test.before(async () => {
  await tf.setBackend('cpu');
  const model = tinyModel();
  await saveModel(model, source);
  model.dispose();
});

test('export refuses a folder holding other files, a file, the current directory and the source; nothing is touched', () => {
  const out = path.join(root, 'x');
  fs.mkdirSync(path.join(out, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(out, 'notes.txt'), 'keep');
  const folder = run(root, source, '--out', out);
  assert.equal(folder.status, 1, folder.stderr);
  assert.match(folder.stderr, /--out .*x holds files that are not a previous export's \(notes\.txt, sub\/\).*--force/);
  assert.deepEqual(tree(out), ['notes.txt', 'sub/']);

  const file = path.join(root, 'file.txt');
  fs.writeFileSync(file, 'keep');
  const onFile = run(root, source, '--out', file);
  assert.equal(onFile.status, 1);
  assert.match(onFile.stderr, /--out .*file\.txt is an existing file/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'keep');

  const here = run(out, source, '--out', '.', '--force');
  assert.equal(here.status, 1);
  assert.match(here.stderr, /--out \. is, or holds, the current directory/);

  const self = run(root, source, '--out', source, '--force');
  assert.equal(self.status, 1);
  assert.match(self.stderr, /is, or holds, the model being exported/);
  const parent = run(path.join(root, 'x'), source, '--out', root, '--force');
  assert.equal(parent.status, 1);
  assert.match(parent.stderr, /is, or holds, the model being exported/);
  assert.deepEqual(tree(source), ['model.json', 'model.weights.bin']);
  assert.ok(fs.existsSync(path.join(root, 'x', 'notes.txt')));
});

test("export replaces a previous export; --force replaces anything; a user's exp/mm.old-keep beside it survives", () => {
  const exp = path.join(root, 'exp');
  const out = path.join(exp, 'mm');
  fs.mkdirSync(path.join(exp, 'mm.old-keep'), { recursive: true });
  fs.writeFileSync(path.join(exp, 'mm.old-keep', 'a.txt'), 'mine');
  fs.writeFileSync(path.join(exp, 'mm.tmp-keep'), 'mine too');
  assert.equal(run(root, source, '--out', out).status, 0);
  const again = run(root, source, '--out', out, '--shard_mb', '1');
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(tree(exp), ['mm.old-keep/', 'mm.old-keep/a.txt', 'mm.tmp-keep', 'mm/', 'mm/model.json', 'mm/model.weights.bin']);
  fs.writeFileSync(path.join(out, 'notes.txt'), 'x');
  assert.equal(run(root, source, '--out', out).status, 1);
  const forced = run(root, source, '--out', out, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(tree(out), ['model.json', 'model.weights.bin']);
});

test("training's leftover cleanup removes only the names it generates, not a user's P_best.old-keep or P_state.old-keep", async () => {
  const dir = path.join(root, 'run');
  const prefix = path.join(dir, 'p');
  fs.mkdirSync(`${prefix}_best.old-keep`, { recursive: true });
  fs.mkdirSync(`${prefix}_state.old-keep`, { recursive: true });
  fs.writeFileSync(`${prefix}_log.csv.tmp-notes`, 'mine');
  fs.mkdirSync(`${prefix}_best.old-mabc1234-a1b2c3`); // what a kill between a swap's renames leaves
  fs.writeFileSync(`${prefix}_log.csv.tmp-123-a1b2c3`, 'partial');
  cleanRunLeftovers(prefix);
  const model = tinyModel();
  const opt = tf.train.adam(0.1);
  fs.mkdirSync(`${prefix}_state.tmp-7-zz9x`); // a killed save's staging folder
  await saveTrainState(`${prefix}_state`, model, opt, {
    nextEpoch: 1,
    nextBatch: 0,
    step: 1,
    elapsedMs: 0,
    epochSums: { loss: 0, acc: 0, seen: 0 },
    seq: 8,
    learningRate: 0.1,
    seed: 1,
    history: {},
    callbacks: [],
  });
  model.dispose();
  opt.dispose();
  assert.deepEqual(fs.readdirSync(dir).sort(), ['p_best.old-keep', 'p_log.csv.tmp-notes', 'p_state', 'p_state.old-keep']);
});

test('a weight shard swapped for another export of the same size is refused, naming the file', async () => {
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  const m1 = tinyModel(1);
  const m2 = tinyModel(2);
  await saveModel(m1, a, { shardBytes: 2000 });
  await saveModel(m2, b, { shardBytes: 2000 });
  m1.dispose();
  m2.dispose();
  const shard = 'model.weights.1of2.bin';
  assert.equal(fs.statSync(path.join(a, shard)).size, fs.statSync(path.join(b, shard)).size);
  fs.copyFileSync(path.join(b, shard), path.join(a, shard));
  await assert.rejects(loadModel(a), (e: Error) => e.message.includes(path.join(a, shard)) && /sha256 differs/.test(e.message));
  // The shipped model carries the hashes too, and they match its files.
  const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'fer2013-resnet50-48', 'model.json'), 'utf8'));
  assert.equal(shipped.weightsManifest[0].sha256.length, shipped.weightsManifest[0].paths.length);
  const model = await loadModel(path.join(ROOT, 'models', 'fer2013-resnet50-48'));
  model.dispose();
});
