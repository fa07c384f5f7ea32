/**
 * scripts/long-run.sh's decisions, on a made-up run folder (nothing trains): a ship mid-run needs
 * a point over the shipped model's PublicTest figure, the final ship any gain, a finished run
 * is never resumed, and one whose final best the card names is not shipped again.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';

const SCRIPT = path.join(ROOT, 'scripts', 'long-run.sh');

/** The shipped model's card, as the script reads it: from the last commit. */
const shippedCard = (): string =>
  execFileSync('git', ['-C', ROOT, 'show', 'HEAD:models/fer2013-resnet50-48/MODEL_CARD.md'], { encoding: 'utf8' });

/** The shipped model's Validation accuracy, from its card. */
function shippedValidation(): number {
  const m = /^\| Validation +\| ([0-9.]+)/m.exec(shippedCard());
  assert.ok(m, 'the card has a Validation row');
  return Number(m[1]);
}

/**
 * A run folder planned for `epochs` epochs (3) from `commit`, its state at `nextEpoch`, its log's
 * best val_acc `bestPct`.
 */
function fakeRun(nextEpoch: number, bestPct: number, plan: { commit?: string; epochs?: number } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'long-run-'));
  const { commit = '0000000', epochs = 3 } = plan;
  fs.writeFileSync(
    path.join(dir, 'plan.env'),
    `commit=${commit}\nwarm_start_epochs=2.61\nepochs=${epochs}\nseed=23\ndata='/nonexistent.csv.gz'\nlimit=''\ncheckpoint_every=10\n`,
  );
  fs.mkdirSync(path.join(dir, 'r48_state'));
  fs.writeFileSync(path.join(dir, 'r48_state', 'state.json'), JSON.stringify({ version: 2, nextEpoch, nextBatch: 0 }));
  const rows = ['epoch,loss,acc,val_loss,val_acc,lr', '0,2,0.4,2,0.30,0'];
  if (nextEpoch > 1) rows.push(`1,1.5,0.5,1.4,${(bestPct / 100).toFixed(6)},0.001`);
  fs.writeFileSync(path.join(dir, 'r48_log.csv'), rows.join('\n') + '\n');
  return dir;
}

function longRun(dir: string, ...args: string[]) {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, RUN_DIR: dir } });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('long-run ship: mid-run a checkpoint ships only with a point over the shipped model', () => {
  const s = shippedValidation();
  for (const [best, ships] of [
    [s + 0.5, false],
    [s + 1.2, true],
  ] as const) {
    const dir = fakeRun(2, best);
    try {
      const r = longRun(dir, 'ship', '--dry-run');
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, ships ? /^shipping: .*\(\+1 point\)/m : /^not shipping: .*\(needs \+1 point\)/m);
      assert.ok(r.out.includes(`${best.toFixed(2)}%`), r.out);
      assert.ok(!fs.existsSync(path.join(dir, 'shipping')), 'a dry run copies nothing');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('long-run ship: once the planned epochs are done, the final best ships on any gain, not on a loss', () => {
  const s = shippedValidation();
  for (const [best, ships] of [
    [s + 0.5, true],
    [s - 0.3, false],
  ] as const) {
    const dir = fakeRun(3, best);
    try {
      const r = longRun(dir, 'ship', '--dry-run');
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, ships ? /^shipping: .*the run being finished/m : /^not shipping: .*the run being finished/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('long-run: a finished run is reported as such and not resumed; an unfinished one is not called finished', () => {
  const done = fakeRun(3, 50);
  const midway = fakeRun(2, 50);
  try {
    const start = longRun(done);
    assert.equal(start.status, 0, start.out);
    assert.match(start.out, /finished: all 3 planned epochs are done, nothing to resume/);
    assert.ok(!fs.existsSync(path.join(done, 'pid')) && !fs.existsSync(path.join(done, 'train.log')), 'nothing was started');
    assert.match(longRun(done, 'status').out, /^finished: all 3 planned epochs done/m);
    assert.match(longRun(midway, 'status').out, /^not running /m);
  } finally {
    fs.rmSync(done, { recursive: true, force: true });
    fs.rmSync(midway, { recursive: true, force: true });
  }
});

test('long-run ship: a finished run whose final best the card already names is not shipped again', (t) => {
  const card = shippedCard();
  const commit = /the shipped model of commit ([0-9a-f]{7}) /.exec(card)?.[1];
  const epochs = Number(/shipped after all (\d+) planned epochs/.exec(card)?.[1]);
  if (!commit || !epochs) return t.skip('the shipped card is not a finished long run (a mid-run ship)');
  const best = shippedValidation() + 0.03; // the float checkpoint's figure over the uint8 card's
  const same = fakeRun(epochs, best, { commit, epochs });
  const other = fakeRun(epochs, best, { commit: '0000000', epochs });
  try {
    const r = longRun(same, 'ship', '--dry-run');
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^not shipping: this run's final best is already the shipped model/m);
    assert.match(longRun(same, 'status').out, /^finished: .*its best is shipped/m);
    // Another run (another warm start) with the same figures still ships on its gain.
    assert.match(longRun(other, 'ship', '--dry-run').out, /^shipping: .*the run being finished/m);
    assert.match(longRun(other, 'status').out, /^finished: .*ship the final best/m);
  } finally {
    fs.rmSync(same, { recursive: true, force: true });
    fs.rmSync(other, { recursive: true, force: true });
  }
});
