/**
 * One flag scheme across every subcommand (issue 20): the program is walked flag by flag, the
 * README's table is checked against it, and last release's spellings are translated with a notice.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildProgram } from '../../src/cli/program';
import { LEGACY_FLAGS, rewriteLegacyFlags } from '../../src/cli/legacy-flags';
import { SAMPLE_CSV_PATH } from '../../src/facial';
import { ROOT } from '../helpers/paths';
import { runCli } from '../helpers/cli';

const program = buildProgram();
const SUBCOMMANDS = ['preprocess', 'train', 'verify', 'predict', 'report', 'bench', 'export'];
const flagsOf = (name: string): string[] => program.commands.find((c) => c.name() === name)!.options.map((o) => o.long!);
const optionOf = (cmd: string, flag: string) => program.commands.find((c) => c.name() === cmd)!.options.find((o) => o.long === flag)!;

test('every subcommand is there and every flag is snake_case, with no --no- negation', () => {
  assert.deepEqual(program.commands.map((c) => c.name()).sort(), [...SUBCOMMANDS].sort());
  for (const cmd of SUBCOMMANDS) for (const flag of flagsOf(cmd)) assert.match(flag, /^--[a-z0-9]+(_[a-z0-9]+)*$/, `facial ${cmd} ${flag}`);
});

test('--model is the architecture, --model_weights a model file and --data the data, wherever they appear', () => {
  const withModel = SUBCOMMANDS.filter((c) => flagsOf(c).includes('--model'));
  assert.deepEqual(withModel, ['train', 'verify', 'predict', 'report', 'bench', 'export']);
  for (const cmd of withModel) {
    const parse = optionOf(cmd, '--model').parseArg!;
    assert.equal(parse('resnet50-anysize', undefined), 'resnet50-anysize', cmd);
    assert.throws(() => parse('runs/r48_best', undefined), /--model must be resnet50 or resnet50-anysize, got 'runs\/r48_best'/, cmd);
  }
  for (const cmd of ['train', 'verify', 'predict', 'report', 'export']) {
    const opt = optionOf(cmd, '--model_weights');
    assert.ok(opt.required && opt.parseArg === undefined, `${cmd} --model_weights takes a path as given`);
  }
  for (const cmd of ['preprocess', 'train', 'verify', 'report']) assert.ok(flagsOf(cmd).includes('--data'), cmd);
  for (const cmd of SUBCOMMANDS)
    for (const old of ['--csv', '--model_kind', '--size', '--only', '--batch']) assert.ok(!flagsOf(cmd).includes(old), `${cmd} ${old}`);
  // The side in pixels is --image_size wherever a subcommand takes one.
  for (const cmd of ['preprocess', 'train', 'verify', 'predict', 'report', 'export']) assert.ok(flagsOf(cmd).includes('--image_size'), cmd);
});

test("the README's command table names only flags its subcommand has", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rows = readme.split('\n').filter((l) => /^\| `facial [a-z]+/.test(l));
  assert.deepEqual(
    rows.map((r) => /^\| `facial ([a-z]+)/.exec(r)![1]),
    SUBCOMMANDS,
  );
  for (const row of rows) {
    const cmd = /^\| `facial ([a-z]+)/.exec(row)![1];
    for (const flag of row.match(/--[a-z0-9_-]+/g) ?? []) assert.ok(flagsOf(cmd).includes(flag), `README: facial ${cmd} ${flag}`);
  }
});

test('each old spelling becomes the new one with one notice; values are never read as flags', () => {
  for (const rule of LEGACY_FLAGS) {
    for (const cmd of rule.commands) {
      const takesValue = optionOf(cmd, rule.to).required;
      const value = rule.oldMeaning ? 'runs/m_best' : 'resnet50';
      const args = takesValue ? [cmd, rule.from, value] : [cmd, rule.from];
      const { argv, notices } = rewriteLegacyFlags(program, args);
      assert.deepEqual(argv, takesValue ? [cmd, rule.to, value] : [cmd, rule.to], `${cmd} ${rule.from}`);
      assert.deepEqual(notices, [`${cmd} ${rule.from} is now ${rule.to} (the old spelling works for this release)`]);
    }
  }
  // predict --model PATH (old) and --model KIND (new) in one line; --flag=value form too.
  let r = rewriteLegacyFlags(program, ['predict', 'a.png', '--model=runs/x', '--model_kind', 'resnet50']);
  assert.deepEqual(r.argv, ['predict', 'a.png', '--model_weights=runs/x', '--model', 'resnet50']);
  assert.equal(r.notices.length, 2);
  r = rewriteLegacyFlags(program, ['predict', 'a.png', '--model', 'resnet50-anysize']);
  assert.deepEqual(r, { argv: ['predict', 'a.png', '--model', 'resnet50-anysize'], notices: [] });
  // A misspelt kind is neither a kind nor a path: it stays --model, to be refused as a kind.
  assert.deepEqual(rewriteLegacyFlags(program, ['predict', 'a.png', '--model', 'resnet5']).argv, [
    'predict',
    'a.png',
    '--model',
    'resnet5',
  ]);
  // A value that looks like an old flag stays a value; today's spellings pass untouched.
  r = rewriteLegacyFlags(program, ['train', '--save_prefix', '--size', '--image_size', '48', '--no_eval']);
  assert.deepEqual(r, { argv: ['train', '--save_prefix', '--size', '--image_size', '48', '--no_eval'], notices: [] });
  // export MODEL (positional) becomes --model_weights MODEL.
  r = rewriteLegacyFlags(program, ['export', 'runs/m', '--out', 'o', '--model_kind', 'resnet50']);
  assert.deepEqual(r.argv, ['export', '--model_weights', 'runs/m', '--out', 'o', '--model', 'resnet50']);
  assert.equal(r.notices.length, 2);
  // Nothing before the subcommand or after -- is touched.
  assert.deepEqual(rewriteLegacyFlags(program, ['--version']).argv, ['--version']);
  assert.deepEqual(rewriteLegacyFlags(program, ['predict', '--', '--size']).argv, ['predict', '--', '--size']);
});

test('facial preprocess with last release spellings still works, saying the new ones once each', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flags-'));
  const r = runCli(
    [
      'preprocess',
      '--csv',
      SAMPLE_CSV_PATH,
      '--out',
      'o',
      '--size',
      '8',
      '--splits',
      'test',
      '--limit',
      '2',
      '--workers',
      '0',
      '--skip-bad-rows',
    ],
    { cwd: dir },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^facial: preprocess --csv is now --data \(the old spelling works for this release\)$/m);
  assert.match(r.stderr, /^facial: preprocess --size is now --image_size/m);
  assert.match(r.stderr, /^facial: preprocess --skip-bad-rows is now --skip_bad_rows/m);
  assert.match(r.stdout, /wrote 2 images .* of 8x8 to o/);
  assert.equal(fs.readdirSync(path.join(dir, 'o', 'test_dir')).length > 0, true);
});
