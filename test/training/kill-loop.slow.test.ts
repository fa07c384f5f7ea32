import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES } from '../helpers/paths';

const fixture = path.join(FIXTURES, 'kill-train.ts');
const run = (prefix: string, opts: { resume?: boolean; killAt?: number } = {}) =>
  spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', fixture, prefix, ...(opts.resume ? ['--resume'] : [])], {
    encoding: 'utf8',
    env: { ...process.env, FACIAL_TEST_KILL_AT_RENAME: String(opts.killAt ?? 0) },
  });

test(
  "a kill before any rename of a training, then --resume, always finishes with the uninterrupted run's weights and log",
  { timeout: 900_000 },
  () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kill-'));
    const ref = run(path.join(root, 'ref', 'p'));
    assert.equal(ref.status, 0, ref.stderr);
    const renames = Number(/renames (\d+)/.exec(ref.stdout)![1]);
    assert.ok(renames >= 15, `the run makes ${renames} renames`);
    const refWeights = fs.readFileSync(path.join(root, 'ref', 'p_model.weights.bin'));
    const refLog = fs.readFileSync(path.join(root, 'ref', 'p_log.csv'), 'utf8');
    const refBest = fs.readFileSync(path.join(root, 'ref', 'p_best', 'model.weights.bin'));
    for (let k = 1; k <= renames; k++) {
      const prefix = path.join(root, `k${k}`, 'p');
      const killed = run(prefix, { killAt: k });
      assert.equal(killed.signal, 'SIGKILL', `kill point ${k}: ${killed.stderr}`);
      const resumed = run(prefix, { resume: true });
      assert.equal(resumed.status, 0, `resume after kill point ${k}: ${resumed.stderr}`);
      const dir = path.dirname(prefix);
      assert.deepEqual(fs.readFileSync(path.join(dir, 'p_model.weights.bin')), refWeights, `weights after kill point ${k}`);
      assert.equal(fs.readFileSync(path.join(dir, 'p_log.csv'), 'utf8'), refLog, `log after kill point ${k}`);
      assert.deepEqual(fs.readFileSync(path.join(dir, 'p_best', 'model.weights.bin')), refBest, `best after kill point ${k}`);
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => /\.(tmp|old)-/.test(f)),
        [],
        `leftovers after kill point ${k}`,
      );
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
