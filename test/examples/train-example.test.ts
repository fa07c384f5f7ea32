/** examples/train_resnet50_imgsize48.ts runs the seed's imgsize48 recipe through the library and prints the seed's table. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';
import { verifyModel } from '../../src/evaluation/verify-model';
import { formatSeedTable } from '../../src/evaluation/verify';
import { selectBackend } from '../../src/engine/select';

test(
  'examples/train_resnet50_imgsize48.ts on 8 rows per split: one epoch of the recipe, the table of the model it saved, the files',
  { timeout: 300_000 },
  async () => {
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
    // The recipe: one epoch of Adam at 1e-3 (the seed's imgsize48 settings), logged.
    const [header, row, extra] = fs.readFileSync(path.join(dir, 'r48_log.csv'), 'utf8').trim().split('\n');
    assert.equal(header, 'epoch,loss,acc,val_loss,val_acc,lr');
    assert.equal(extra, undefined);
    assert.equal(Number(row.split(',')[5]), 1e-3);
    // The table it printed is the seed's table of the model it saved, scored here on the same rows
    // and backend (wasm, as the example selects): the example evaluates what it trained.
    await selectBackend('wasm', { quiet: true });
    const { trained, facial, results } = await verifyModel({ model: `${prefix}_model.json`, limit: 8, log: () => undefined });
    const table = r.stdout.split('\n').filter((l) => l.startsWith('|'));
    assert.deepEqual(table, formatSeedTable(results).trim().split('\n'));
    trained.model.dispose();
    facial.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
