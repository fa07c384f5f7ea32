/**
 * `facial train --resume` as a user runs it (issue 18): a run killed after a mid-epoch state
 * and resumed without its --seed ends with the uninterrupted run's weights (item 3); a resume
 * that changes a setting is refused naming the flag and both values, while a state written
 * before settings were recorded still resumes (item 4); a resume of the finished run says so
 * and writes nothing (item 8), and only P_state/state.json is left of the state (item 13); a
 * fresh run over it and a run on a locked prefix are refused (items 5, 6); --warmup's limits
 * (item 9). The any-size ResNet-50 at 32x32 on 4 faces, 2 batches.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-'));
const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
const tsNode = require.resolve('ts-node/register/transpile-only');
const SMALL = ['--model', 'resnet50-anysize', '--image_size', '32', '--limit', '4', '--batch_size', '2', '--epochs', '1'];
const RUN = [...SMALL, '--checkpoint_every', '1b', '--augment', 'shift-flip', '--no_eval'];
const train = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['-r', tsNode, cli, 'train', ...args], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), FACIAL_WASM_THREADS: '1', ...env },
  });
// Each run writes ~360 MB (model, Keras copy, best, state): gone with the test.
test.after(() => fs.rmSync(root, { recursive: true, force: true }));
const weights = (prefix: string) => fs.readFileSync(path.join(root, `${prefix}_model.weights.bin`));

test(
  'a run killed mid-epoch resumes without --seed to the uninterrupted weights; changed settings are refused',
  { timeout: 600_000 },
  () => {
    const ref = train([...RUN, '--seed', '5', '--quiet', '--save_prefix', 'ref/p']);
    assert.equal(ref.status, 0, ref.stderr);
    // The 3rd rename falls after the state written at batch 1 of 2.
    const killed = train([...RUN, '--seed', '5', '--quiet', '--save_prefix', 'k/p'], { FACIAL_TEST_KILL_AT_RENAME: '3' });
    assert.equal(killed.signal, 'SIGKILL');
    fs.cpSync(path.join(root, 'k'), path.join(root, 'legacy'), { recursive: true });

    const refusals: Array<[string[], RegExp]> = [
      [
        ['--seed', '6'],
        /--seed 6 differs from the run in k\/p_state, which has --seed 5: resume with the run's --seed 5 or without --seed/,
      ],
      [['--batch_size', '1'], /--batch_size 1 differs from the run in k\/p_state, which has --batch_size 2/],
      [['--image_size', '48'], /--image_size 48 differs from the run in k\/p_state, which has --image_size 32/],
      [['--augment', 'shear-zoom-flip'], /--augment shear-zoom-flip differs from the run in k\/p_state, which has --augment shift-flip/],
      [
        ['--data', path.join(ROOT, 'data', 'fer2013-sample.csv.gz')],
        /--data .*fer2013-sample\.csv\.gz differs from the run in k\/p_state, which has --data the embedded sample/,
      ],
    ];
    for (const [change, message] of refusals) {
      const r = train([...RUN, ...change, '--quiet', '--save_prefix', 'k/p', '--resume']);
      assert.equal(r.status, 1, `${change}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const resumed = train([...RUN, '--save_prefix', 'k/p', '--resume']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, /Resuming from k\/p_state at epoch 1, batch 2/);
    assert.deepEqual(weights('k/p'), weights('ref/p'));
    assert.deepEqual(fs.readdirSync(path.join(root, 'k', 'p_state')), ['state.json']);

    // A state written before settings were recorded (today's long runs) resumes, nothing checked.
    const file = path.join(root, 'legacy', 'p_state', 'state.json');
    const { settings: _settings, ...legacy } = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify(legacy));
    const old = train([...RUN, '--quiet', '--save_prefix', 'legacy/p', '--resume']);
    assert.equal(old.status, 0, old.stderr);
    assert.deepEqual(weights('legacy/p'), weights('ref/p'));

    const files = (dir: string) => fs.readdirSync(dir).map((f) => `${f}:${fs.statSync(path.join(dir, f)).mtimeMs}`);
    const before = files(path.join(root, 'k'));
    const again = train([...RUN, '--save_prefix', 'k/p', '--resume']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /The run in k\/p_state is finished after epoch 1: nothing to do/);
    assert.doesNotMatch(again.stdout, /Resuming|saved/);
    assert.deepEqual(files(path.join(root, 'k')), before);

    // A fresh run on the finished one is refused before it writes anything (item 5), and so is
    // a run while another process holds the prefix (item 6: here, this test's own process).
    const fresh = train([...RUN, '--quiet', '--save_prefix', 'k/p']);
    assert.equal(fresh.status, 1);
    assert.match(
      fresh.stderr,
      /k\/p_state holds a run \(finished after epoch 1\): continue it with --resume, or start a new run with --force/,
    );
    fs.writeFileSync(path.join(root, 'k', 'p.lock'), `${process.pid}\n`);
    const locked = train([...RUN, '--quiet', '--save_prefix', 'k/p', '--resume']);
    assert.equal(locked.status, 1);
    assert.match(locked.stderr, new RegExp(`another training \\(process ${process.pid}\\) is writing under k/p`));
    fs.rmSync(path.join(root, 'k', 'p.lock'));
    assert.deepEqual(files(path.join(root, 'k')), before);
  },
);

test('--warmup 0 means none; --warmup without --schedule cosine is refused', () => {
  const without = train([...SMALL, '--warmup', '5', '--quiet', '--save_prefix', 'w/p']);
  assert.equal(without.status, 1);
  assert.match(without.stderr, /--warmup 5 is the warm-up of --schedule cosine, which is not set/);
  assert.equal(fs.existsSync(path.join(root, 'w')), false);
  const zero = train([...SMALL, '--warmup', '0', '--schedule', 'cosine', '--quiet', '--no_eval', '--save_prefix', 'z/p']);
  assert.equal(zero.status, 0, zero.stderr);
});
