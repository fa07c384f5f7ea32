import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers/paths';

// In a fresh process, so that nothing this test runner loaded can hide the effect.
test('importing the package leaves the default backend usable: new Facial() works synchronously', () => {
  const script = `
    const lib = require(${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))});
    const f = new lib.Facial({ splits: ['validation'], limit: 3 });
    const wasmLoaded = Object.keys(require.cache).some((k) => k.includes('tfjs-backend-wasm'));
    console.log(JSON.stringify({ shape: f.validationData.shape, backend: require('@tensorflow/tfjs').getBackend(), wasmLoaded }));`;
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
  });
  const got = JSON.parse(out.trim().split('\n').pop()!);
  // tfjs-backend-wasm registers itself above cpu on import; until selectBackend() has run its
  // async set-up, a synchronous first tensor would then throw. So the entry must not load it.
  assert.deepEqual(got, { shape: [3, 48, 48, 1], backend: 'cpu', wasmLoaded: false });
});
