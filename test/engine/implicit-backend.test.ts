/**
 * A backend tfjs fell back to is not a backend the user chose (issue 18, item 11): reading
 * `data.trainData` before training made tfjs pick its pure-JavaScript cpu backend, and
 * ensureBackend kept it (~1000x slower, nothing said). In fresh processes, so no earlier
 * choice of this test runner hides the effect.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from '../helpers/paths';

const script = (choose: string) => `
  const tf = require('@tensorflow/tfjs');
  const lib = require(${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))});
  const { ensureBackend } = require(${JSON.stringify(path.join(ROOT, 'src', 'engine', 'select.ts'))}); // what every library entry calls first
  ${choose}
  const data = new lib.Facial({ splits: ['validation'], limit: 3 });
  const sum = data.validationData.sum().dataSync()[0]; // a tensor before any choice: tfjs picks by itself
  console.log('first=' + tf.getBackend());
  ensureBackend().then(async () => {
    const again = (await data.validationData.sum().data())[0];
    console.log('then=' + tf.getBackend() + ' same=' + (Math.abs(again - sum) < 1e-3));
  });`;
const run = (choose: string) =>
  spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script(choose)], { cwd: ROOT, encoding: 'utf8' });

test("tfjs's own fallback to cpu is replaced by the fastest backend, saying so; the tensors made before still work", () => {
  const r = run('');
  assert.match(r.stdout, /first=cpu/, r.stderr);
  assert.match(r.stdout, /then=wasm(-threaded)? same=true/, r.stderr);
  assert.match(r.stderr, /tfjs fell back to its pure-JavaScript cpu backend by itself .* await selectBackend\(\)/);
});

test('a cpu backend the user set is kept, and nothing is said', () => {
  const r = run("tf.setBackend('cpu');");
  assert.match(r.stdout, /first=cpu/, r.stderr);
  assert.match(r.stdout, /then=cpu same=true/, r.stderr);
  assert.doesNotMatch(r.stderr, /fell back/);
});
