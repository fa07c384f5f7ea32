/**
 * When the wasm heap cannot grow, tensor allocation throws a clear error instead of placing the
 * tensor at address 0 (tfjs-backend-wasm does not check malloc). A request larger than wasm32's
 * 4 GB address space fails at once, without allocating anything. (Also, in this plain-wasm
 * process: activateWasmBackend's single-thread fallback.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { activateWasmBackend, registerWasmTrainingKernels } from '../../../src/engine/wasm';
import { guardWasmHeap } from '../../../src/engine/wasm/heap-guard';

test('activateWasmBackend with one thread uses the plain wasm backend and says why', async () => {
  const { name, fallbackReason } = await activateWasmBackend({ threads: 1 });
  assert.equal(name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(fallbackReason ?? '', /one core/);
});

test('wasm backend: an allocation the heap cannot hold throws "wasm heap exhausted"', async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  const wasm = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
  assert.throws(() => wasm._malloc(0xfffffff0), /wasm heap exhausted: cannot allocate 4096 MB more/);
  const p = wasm._malloc(64);
  assert.ok(p > 0, 'ordinary allocations still work');
  wasm._free(p);
  const t = tf.tensor1d([1, 2, 3]);
  assert.deepEqual(Array.from(t.dataSync()), [1, 2, 3]);
  t.dispose();
});

test('guardWasmHeap on a stand-in module: throws on a 0 pointer, idempotent, ignores non-wasm backends', () => {
  let calls = 0;
  const wasm = {
    HEAPU8: new Uint8Array(2 ** 20),
    _malloc: (n: number) => {
      calls++;
      return n > 100 ? 0 : 8;
    },
    _free: () => undefined,
  };
  const backend = { wasm } as unknown as tf.KernelBackend;
  guardWasmHeap(backend);
  guardWasmHeap(backend);
  assert.equal(wasm._malloc(10), 8);
  assert.throws(() => wasm._malloc(2 ** 21), /cannot allocate 2 MB more \(heap 1 MB/);
  assert.equal(calls, 3, 'one warm-up call, then one per allocation (not wrapped twice)');
  guardWasmHeap({} as tf.KernelBackend); // cpu-like backend: nothing to guard, no throw
});
