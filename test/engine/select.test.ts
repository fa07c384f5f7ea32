import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/select';

// tfjs-node(-gpu) cannot be installed on this network, so the checks below pin down how the
// selector behaves when they are absent: they are passed over with a reason, never used.
const nativeInstalled = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

test('a forced backend is used and reported', async () => {
  const info = await selectBackend('cpu', { quiet: true });
  assert.equal(info.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(info.reasons, []);
});

test('FACIAL_BACKEND forces a backend when no flag is given, and the flag wins over it', async () => {
  process.env.FACIAL_BACKEND = 'cpu';
  try {
    assert.equal((await selectBackend(undefined, { quiet: true })).name, 'cpu');
    assert.match((await selectBackend('wasm', { quiet: true })).name, /^wasm(-threaded)?$/);
  } finally {
    delete process.env.FACIAL_BACKEND;
  }
});

test('an unknown backend name is an error naming the flag or the variable', async () => {
  await assert.rejects(selectBackend('tpu', { quiet: true }), /--backend: unknown backend 'tpu'/);
  process.env.FACIAL_BACKEND = 'gpu';
  try {
    await assert.rejects(selectBackend(undefined, { quiet: true }), /FACIAL_BACKEND: unknown backend 'gpu'/);
  } finally {
    delete process.env.FACIAL_BACKEND;
  }
});

test(
  'the default order skips absent native backends with a reason and lands on wasm, threaded on 2+ cores',
  { skip: nativeInstalled('@tensorflow/tfjs-node') || nativeInstalled('@tensorflow/tfjs-node-gpu') },
  async () => {
    const info = await selectBackend(undefined, { quiet: true });
    const multiCore = os.cpus().length > 1;
    assert.equal(info.name, multiCore ? 'wasm-threaded' : 'wasm');
    assert.equal(tf.getBackend(), info.name);
    assert.deepEqual(info.reasons.slice(0, 2), ['tfjs-node-gpu: not installed', 'tfjs-node: not installed']);
    assert.equal(info.reasons.length, multiCore ? 2 : 3);
  },
);

test(
  'forcing an absent native backend is an error, not a silent fallback',
  { skip: nativeInstalled('@tensorflow/tfjs-node') },
  async () => {
    const before = tf.getBackend();
    await assert.rejects(selectBackend('tfjs-node', { quiet: true }), /tfjs-node: not installed/);
    assert.equal(tf.getBackend(), before);
  },
);
