/**
 * The threaded wasm backend (tfjs-backend-wasm's threaded-simd build loaded in Node) runs with
 * two threads and computes the same convolutions and convolution gradients as the cpu backend
 * (tolerance: max abs error <= 1e-3 * (1 + max |cpu|), float32 sums in another order).
 * Own process: this backend must not share a process with the plain 'wasm' backend.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { activateWasmBackend, registerThreadedWasmBackend } from '../../../src/engine/wasm';
import { ROOT } from '../../helpers/paths';

function maxError(a: Float32Array, b: Float32Array): { err: number; scale: number } {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { err, scale };
}

after(() => {
  // Emscripten's idle pthread workers would otherwise keep the test process alive.
  setTimeout(() => process.exit(0), 10).unref();
});

test('threaded wasm backend: 2 threads, conv2d forward and gradients match cpu', async () => {
  const name = await registerThreadedWasmBackend({ threads: 2 });
  assert.equal(await registerThreadedWasmBackend({ threads: 2 }), name, 'idempotent');
  const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, 2, 'same').square().sum();
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', name]) {
    await tf.setBackend(backend);
    const x = tf.tensor4d(
      Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i)),
      [2, 9, 9, 3],
    );
    const w = tf.tensor4d(
      Array.from({ length: 3 * 3 * 3 * 8 }, (_, i) => Math.cos(i)),
      [3, 3, 3, 8],
    );
    const y = tf.conv2d(x, w, 2, 'same');
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, w]);
    results.push([y, gx, gw].map((t) => t.dataSync() as Float32Array));
    tf.dispose([x, w, y, gx, gw]);
  }
  assert.equal(tf.getBackend(), name);
  assert.equal(getThreadsCount(), 2);
  // The threaded build does not fail on a full heap by itself (tensors would overlap at 0).
  const wasm = (tf.backend() as unknown as { wasm: { _malloc(n: number): number } }).wasm;
  assert.throws(() => wasm._malloc(0xfffffff0), /wasm heap exhausted/);
  for (let i = 0; i < 3; i++) {
    const { err, scale } = maxError(results[1][i], results[0][i]);
    assert.ok(err <= 1e-3 * (1 + scale), `output ${i}: max abs error ${err} (scale ${scale})`);
  }
});

test('a process using the threaded backend exits by itself (idle pool workers do not keep it alive)', () => {
  const script = `
    const tf = require('@tensorflow/tfjs');
    const { registerThreadedWasmBackend } = require(${JSON.stringify(require.resolve('../../../src/engine/wasm'))});
    registerThreadedWasmBackend({ threads: 2 }).then(async (name) => {
      await tf.setBackend(name);
      const y = tf.conv2d(tf.ones([1, 8, 8, 4]), tf.ones([3, 3, 4, 4]), 1, 'same');
      process.stdout.write(String(y.dataSync()[0]));
    });`;
  const r = spawnSync(process.execPath, ['--require', 'ts-node/register', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
  });
  assert.equal(r.signal, null, `killed by timeout: the process did not exit (stderr: ${r.stderr})`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').pop(), '16', 'corner pixel of a 3x3 same conv of ones over 4 channels');
});

test('activateWasmBackend picks the threaded backend on a multi-core machine and activates it', async () => {
  const { name, fallbackReason } = await activateWasmBackend({ threads: 2 });
  assert.equal(name, 'wasm-threaded', `fell back: ${fallbackReason}`);
  assert.equal(tf.getBackend(), 'wasm-threaded');
  assert.equal(fallbackReason, undefined);
});
