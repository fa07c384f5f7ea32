/**
 * The README's main command (`facial train` on the embedded sample), made small: 32x32, 8 rows
 * per split, one epoch. It must print the seed's table and leave the files the README names.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';

test(
  "facial train on the embedded sample prints the seed's table and writes model, weights, best, log and state",
  { timeout: 300_000 },
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
    const prefix = path.join(dir, 'runs', 'demo');
    const r = spawnSync(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        path.join(ROOT, 'src', 'cli', 'main.ts'),
        'train',
        '--model',
        'resnet50-anysize',
        '--optimizer',
        'adam',
        '--batch_size',
        '8',
        '--epochs',
        '1',
        '--seed',
        '1',
        '--image_size',
        '32',
        '--limit',
        '8',
        '--save_prefix',
        prefix,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /using the embedded FER2013 sample/);
    const table = r.stdout.split('\n').filter((l) => l.startsWith('|'));
    assert.match(table[0], /^\|\s+\| Accuracy \| Precision \| Recall \| F1\s+\|$/);
    assert.deepEqual(
      table.slice(2).map((l) => l.split('|')[1].trim()),
      ['Training', 'Validation', 'Testing'],
    );
    for (const l of table.slice(2)) {
      for (const cell of l.split('|').slice(2, 6)) assert.ok(Number(cell) >= 0 && Number(cell) <= 100, `a percentage: '${cell}'`);
    }
    for (const f of ['demo_model.json', 'demo_model.weights.bin', 'demo_weights.h5', 'demo_best/model.json', 'demo_state/state.json']) {
      assert.ok(fs.existsSync(path.join(dir, 'runs', f)), f);
    }
    assert.deepEqual(
      fs
        .readFileSync(`${prefix}_log.csv`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',')[0]),
      ['epoch', '0'],
    );
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
