/** examples/train_resnet50_imgsize48.ts runs the seed's imgsize48 recipe through the library and prints the seed's table. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';

test('examples/train_resnet50_imgsize48.ts on 8 rows per split: one epoch, the table, the files', { timeout: 300_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-'));
  const prefix = path.join(dir, 'r48');
  const r = spawnSync(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      path.join(ROOT, 'examples', 'train_resnet50_imgsize48.ts'),
      '--epochs',
      '1',
      '--limit',
      '8',
      '--save_prefix',
      prefix,
    ],
    { encoding: 'utf8', cwd: ROOT },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n').filter((l) => /^\| (Training|Validation|Testing)/.test(l)).length, 3, r.stdout);
  for (const f of ['r48_model.json', 'r48_weights.h5', 'r48_best/model.json', 'r48_log.csv'])
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  fs.rmSync(dir, { recursive: true, force: true });
});
