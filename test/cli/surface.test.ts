/** The command line's surface: what a newcomer types first (--version), and defaults that save a flag. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '../../src/io/model-io';
import { defaultReportFolder } from '../../src/cli/report';
import { ROOT } from '../helpers/paths';
import { runCli } from '../helpers/cli';

const run = (cwd: string, ...args: string[]) => runCli(args, { cwd });

test('facial --version prints the version of package.json', () => {
  const r = run(ROOT, '--version');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
});

test('facial report without --out writes MODEL_report beside the model', async () => {
  assert.equal(defaultReportFolder('runs/r48_best/'), 'runs/r48_best_report');
  assert.equal(defaultReportFolder('runs/x/model.json'), 'runs/x/model_report');
  assert.equal(defaultReportFolder(undefined), 'fer2013-resnet50-48_report');
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-report-default-'));
  try {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [48, 48, 1], filters: 2, kernelSize: 5, strides: 4 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 7, activation: 'softmax' }));
    await saveModel(model, path.join(dir, 'tiny'));
    model.dispose();
    const sample = path.join(ROOT, 'data', 'fer2013-sample.csv.gz');
    const r = run(dir, 'report', '--model_weights', 'tiny', '--data', sample, '--splits', 'test', '--limit', '6', '--backend', 'cpu');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(dir, 'tiny_report', 'index.html')), fs.readdirSync(dir).join(', '));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
