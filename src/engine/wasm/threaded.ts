/**
 * A multi-threaded wasm backend for Node.
 *
 * tfjs-backend-wasm only uses its threaded-simd build where it can build a Blob worker, so in
 * Node it always runs single-threaded (tfjs issue 3830). The Emscripten build itself supports
 * Node worker_threads: it needs its worker script as a file (the package ships it only as the
 * string `wasmWorkerContents`, written out here) and the path of the factory script for the
 * workers to load. The resulting module is wrapped in the package's own BackendWasm and
 * registered under a new name with every wasm kernel plus the training kernels.
 *
 * Limitation: tfjs-backend-wasm binds each kernel's C function in module-level variables when a
 * backend initialises, so use either 'wasm' or this backend in one process, not both.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'node:fs';
import os = require('node:os');
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { registerWasmTrainingKernels } from './kernels';
import { guardWasmHeap } from './heap-guard';

/** Options of {@link registerThreadedWasmBackend}. */
export interface ThreadedWasmOptions {
  /** Backend name to register (default 'wasm-threaded'). */
  name?: string;
  /** Threads XNNPACK uses, the calling thread included (default: logical cores, at least 1). */
  threads?: number;
  /** Registration priority (default 0: never chosen implicitly over 'wasm'). */
  priority?: number;
}

interface PoolWorker {
  ref(): void;
  unref(): void;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, unknown>;
  /** Emscripten's pthread bookkeeping (exported by this build). */
  PThread?: { runningWorkers: PoolWorker[]; unusedWorkers: PoolWorker[] };
}

/**
 * XNNPACK's pool threads wait for work for the life of the process, and Emscripten keeps a
 * running pthread's worker referenced, so Node would never exit on its own. The main thread
 * blocks while the pool works (kernels are synchronous), so nothing is lost by letting it exit.
 * The pool is created by the BackendWasm constructor, before this runs.
 */
function unrefPoolWorkers(module: EmscriptenModule): void {
  const pt = module.PThread;
  if (!pt) return;
  for (const w of [...pt.runningWorkers, ...pt.unusedWorkers]) {
    // A worker still loading re-refs itself when its thread starts: make that a no-op too.
    w.ref = () => undefined;
    w.unref();
  }
}

const WASM_OUT = 'wasm-out';

function packageFile(file: string): string {
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  return path.join(path.dirname(main), '..', WASM_OUT, file);
}

/** Writes the worker script once per content (atomically), returns its path. */
function workerScriptPath(): string {
  const { wasmWorkerContents } = require(packageFile('tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The string had its "\n" escapes turned into newlines by the template literal it lives in;
  // restore them, as tfjs does before making its Blob.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `tfjs-backend-wasm-threaded-simd-${hash}.worker.js`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, source);
    fs.renameSync(tmp, file);
  }
  return file;
}

async function loadThreadedModule(): Promise<EmscriptenModule> {
  const factoryPath = packageFile('tfjs-backend-wasm-threaded-simd.js');
  const factory = require(factoryPath) as (config: Record<string, unknown>) => Promise<EmscriptenModule>;
  const worker = workerScriptPath();
  const module = await factory({
    locateFile: (file: string) => (file.endsWith('.worker.js') ? worker : packageFile(file)),
    mainScriptUrlOrBlob: factoryPath,
  });
  // The same bridge tfjs-backend-wasm's init() attaches.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/**
 * The C++ side caps its thread pool at logical cores / 2 (it assumes hyper-threading), counting
 * cores with Node's os.cpus(); report `cores` while the module starts and the backend initialises.
 */
async function withLogicalCores<T>(cores: number, fn: () => T | Promise<T>): Promise<T> {
  const real = os.cpus;
  const fake = () => {
    const list = real();
    return Array.from({ length: Math.max(cores, list.length) }, (_, i) => list[i % list.length]);
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (os as any).cpus = fake;
  try {
    return await fn();
  } finally {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (os as any).cpus = real;
  }
}

const loaded = new Map<string, Promise<string>>();

/**
 * Loads tfjs-backend-wasm's threaded-simd build in Node and registers it as a backend (all wasm
 * kernels + the training kernels). Resolves to the backend name; then `tf.setBackend(name)`.
 * Idempotent per name.
 */
export function registerThreadedWasmBackend(opts: ThreadedWasmOptions = {}): Promise<string> {
  const name = opts.name ?? 'wasm-threaded';
  let pending = loaded.get(name);
  if (!pending) {
    pending = (async () => {
      const threads = Math.max(1, opts.threads ?? os.cpus().length);
      const module = await withLogicalCores(2 * threads, loadThreadedModule);
      setThreadsCount(threads);
      tf.copyRegisteredKernels('wasm', name);
      const backend = await withLogicalCores(2 * threads, () => new BackendWasm(module as never));
      tf.registerBackend(name, () => backend, opts.priority ?? 0);
      unrefPoolWorkers(module);
      guardWasmHeap(backend);
      registerWasmTrainingKernels(name);
      return name;
    })();
    loaded.set(name, pending);
  }
  return pending;
}

/**
 * What engine/select.ts calls when it picks WebAssembly: the threaded backend (XNNPACK on
 * every core: ~1.4x training and ~1.7x prediction at 48x48 on 2 cores), or, if it cannot load
 * (no worker_threads / SharedArrayBuffer), the plain 'wasm' backend with the training kernels.
 * Activates the backend and resolves to its name. Do not switch to the other one afterwards in
 * the same process (both bind the same kernel functions).
 */
export async function activateWasmBackend(opts: ThreadedWasmOptions = {}): Promise<{ name: string; fallbackReason?: string }> {
  let fallbackReason: string | undefined;
  if ((opts.threads ?? os.cpus().length) > 1) {
    try {
      const name = await registerThreadedWasmBackend(opts);
      if (await tf.setBackend(name)) return { name };
      fallbackReason = `${name} failed to initialise`;
    } catch (err) {
      fallbackReason = `threaded wasm failed to load (${(err as Error).message.split('\n')[0]})`;
    }
  } else {
    fallbackReason = 'one core: threads would not help';
  }
  registerWasmTrainingKernels('wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error(`wasm backend failed to initialise (${fallbackReason})`);
  return { name: 'wasm', fallbackReason };
}
