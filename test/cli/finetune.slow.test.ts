/**
 * Fine-tuning on your own labelled photos, as a user runs it (issue 21): a folder of FER2013
 * faces pasted into larger photos, three classes with one new name ("confused"), fine-tuned
 * from the shipped model for two epochs with the early stages frozen for the first; then
 * `facial predict` answers with the folder's classes, `facial verify --data DIR` prints the
 * seed's table with the per-class report and confusion matrix, and a run killed in its frozen
 * epoch resumes to the uninterrupted run's weights. Bad folders fail naming the folder.
 * (The shipped 23.5 M-weight model on 30 photos: about 20 s a training on 2 cores.)
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';
import { sampleFaces } from '../helpers/photo-folder';
import { writePhotoFolder } from '../../scripts/scenes';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-'));
const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
const tsNode = require.resolve('ts-node/register/transpile-only');
const facial = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['-r', tsNode, cli, ...args], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), FACIAL_WASM_THREADS: '1', ...env },
  });
// Each run writes ~450 MB (model, Keras copy, best, Adam state): gone with the test.
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

const photos = path.join(root, 'photos');
const files = writePhotoFolder(photos, {
  Happy: sampleFaces(3).slice(0, 10),
  Sad: sampleFaces(4).slice(0, 10),
  confused: sampleFaces(2).slice(0, 10), // FER2013's Fear faces, under a name the shipped model never had
});
const RUN = [
  'train',
  '--data',
  photos,
  '--model_weights',
  'pretrained',
  '--optimizer',
  'adam',
  '--lr',
  '1e-4',
  '--batch_size',
  '8',
  '--epochs',
  '2',
  '--freeze',
  '1',
  '--class_weight',
  'balanced',
  '--augment',
  'shift-flip',
  '--seed',
  '1',
  '--checkpoint_every',
  '1b',
];

test(
  "fine-tuned from the shipped model, predict and verify speak the folder's classes; a killed run resumes to the same weights",
  { timeout: 600_000 },
  () => {
    const ref = facial([...RUN, '--save_prefix', 'ref/p']);
    assert.equal(ref.status, 0, ref.stderr);
    assert.match(
      ref.stdout,
      /3 classes, faces per class \(train\+validation\): Happy 8\+2, Sad 8\+2, confused 8\+2; 30 photos, none skipped/,
    );
    assert.match(ref.stdout, /Epochs 1-1: 35 early layers held fixed/);
    assert.match(ref.stdout, /\| Validation \| /);
    assert.match(ref.stdout, /classes \(stored with the model\): Happy, Sad, confused/);
    const model = path.join(root, 'ref', 'p_model.json');
    assert.deepEqual(JSON.parse(fs.readFileSync(model, 'utf8')).userDefinedMetadata, { classNames: ['Happy', 'Sad', 'confused'] });

    const predicted = facial(['predict', files.confused[0], files.Happy[0], '--model_weights', model]);
    assert.equal(predicted.status, 0, predicted.stderr);
    const lines = predicted.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^file\s+face\s+box \(x y w h\)\s+score\s+class\s+Happy\s+Sad\s+confused$/);
    assert.match(lines[1], /\s(Happy|Sad|confused)(\s+\d+\.\d\d){3}$/);
    const json = facial(['predict', files.confused[0], '--model_weights', model, '--json']);
    assert.deepEqual(Object.keys(JSON.parse(json.stdout).images[0].faces[0].probabilities), ['Happy', 'Sad', 'confused']);

    const verified = facial(['verify', '--model_weights', model, '--data', photos]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stdout, /\| +\| Accuracy \| Precision \| Recall \| F1 +\|\n\|-+\|-+\|-+\|-+\|-+\|\n\| Testing +\| \d+\.\d\d/);
    assert.match(
      verified.stdout,
      /Testing: per-class report\n\n +precision +recall +f1-score +support\n\n +Happy( +\d\.\d\d){3} +10\n +Sad( +\d\.\d\d){3} +10\n +confused/,
    );
    assert.match(verified.stdout, /true \\ predicted +Happy +Sad +confused\nHappy( +\d+){3}\n/);

    // Killed at the 5th rename: inside epoch 1, the frozen one, after a mid-epoch state.
    const killed = facial([...RUN, '--quiet', '--save_prefix', 'k/p'], { FACIAL_TEST_KILL_AT_RENAME: '5' });
    assert.equal(killed.signal, 'SIGKILL');
    const resumed = facial([...RUN, '--save_prefix', 'k/p', '--resume']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, /Resuming from k\/p_state at epoch 1, batch [23]/);
    assert.match(resumed.stdout, /Epochs 1-1: 35 early layers held fixed/);
    assert.ok(
      fs.readFileSync(path.join(root, 'k', 'p_model.weights.bin')).equals(fs.readFileSync(path.join(root, 'ref', 'p_model.weights.bin'))),
      "the resumed run ends with the uninterrupted run's weights",
    );
    // A resume over a folder whose classes changed is refused, naming the setting.
    fs.mkdirSync(path.join(photos, 'bored'));
    fs.copyFileSync(files.Sad[0], path.join(photos, 'bored', 'a.png'));
    const changed = facial([...RUN, '--save_prefix', 'k/p', '--resume', '--epochs', '3']);
    assert.equal(changed.status, 1);
    assert.match(
      changed.stderr,
      /the data folder's classes \(Happy,Sad,bored,confused\) differ from the run in k\/p_state, which has Happy,Sad,confused/,
    );
    fs.rmSync(path.join(photos, 'bored'), { recursive: true });
  },
);

test('a folder that cannot be trained on fails naming the folder, before any model is loaded', () => {
  const single = path.join(root, 'single');
  writePhotoFolder(single, { Happy: sampleFaces(3).slice(0, 2) });
  const r = facial(['train', '--data', single, '--model_weights', 'pretrained', '--epochs', '1', '--save_prefix', 'single/p']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${single}: only one class folder \\(Happy\\): a classifier needs at least two classes`));
});
