/**
 * Choosing the TensorFlow.js backend. The library runs on whatever the machine has, fastest
 * first: tfjs-node-gpu (CUDA), WebGPU on a real GPU (Dawn: Vulkan, Metal or D3D12), tfjs-node
 * (native TensorFlow on the CPU), WebAssembly, then plain JavaScript. The two native packages
 * are optional peer dependencies because their install step downloads libtensorflow; when a
 * user has installed one, it is used. WebGPU comes from the optional peer `webgpu`.
 */
import * as tf from '@tensorflow/tfjs';

/** Names accepted by `--backend` and FACIAL_BACKEND. */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'tensorflow', 'wasm', 'cpu'] as const;

/** A name accepted by `selectBackend`. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What selectBackend chose, and why each faster candidate was passed over. */
export interface BackendInfo {
  /** The tfjs backend now active: 'tensorflow' (tfjs-node or tfjs-node-gpu), 'webgpu', 'wasm-threaded', 'wasm' or 'cpu'. */
  name: string;
  /** The WebGPU adapter, when the backend is 'webgpu', e.g. 'mesa llvmpipe ..., software (fallback) adapter'. */
  device?: string;
  /** Which package provides it, e.g. '@tensorflow/tfjs-node-gpu'. */
  provider: string;
  /**
   * One line per candidate that was tried and not used, e.g. 'tfjs-node-gpu: not installed',
   * and why the wasm backend runs single-threaded when it does.
   */
  reasons: string[];
}

/** Options of selectBackend. */
export interface SelectBackendOptions {
  /** Do not print the one-line choice on stderr (for --json output, tests). */
  quiet?: boolean;
}

let announced = false;

/** Loads a native tfjs-node package; it registers the 'tensorflow' backend when it loads. */
function loadNative(pkg: string): string | null {
  try {
    require(pkg);
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(pkg)) return 'not installed';
    // Installed but broken (no CUDA, wrong libtensorflow, ...): say why, then fall through.
    return `failed to load (${e.message.split('\n')[0]})`;
  }
}

type Candidate = 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu';

/**
 * Activates one candidate; returns null on success or the reason it is unavailable. `forced`:
 * the user named it, so WebGPU takes a software adapter too (otherwise wasm is faster).
 */
async function tryBackend(name: Candidate, notes: string[], forced: boolean, device: { line?: string }): Promise<string | null> {
  if (name === 'webgpu') {
    const webgpu = require('./webgpu') as typeof import('./webgpu'); // Dawn itself loads only when asked for an adapter
    try {
      const got = await webgpu.activateWebGpuBackend({ allowSoftware: forced });
      if ('refused' in got) return got.refused;
      device.line = webgpu.adapterLine(got.report);
      return null;
    } catch (err) {
      if (err instanceof webgpu.WebGpuUnavailableError) return err.message;
      return `failed to initialise (${(err as Error).message.split('\n')[0]})`;
    }
  }
  if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
    const why = loadNative(`@tensorflow/${name}`);
    if (why) return why;
    return (await tf.setBackend('tensorflow')) ? null : 'registered no tensorflow backend';
  }
  if (name === 'wasm') {
    // On more than one core this is the threaded build ('wasm-threaded'), which tfjs itself
    // never uses in Node; both carry the training kernels plain tfjs-backend-wasm lacks.
    try {
      const threads = process.env.FACIAL_WASM_THREADS ? Number(process.env.FACIAL_WASM_THREADS) : undefined;
      const { activateWasmBackend } = require('./wasm') as typeof import('./wasm');
      const { fallbackReason } = await activateWasmBackend({ threads });
      if (fallbackReason) notes.push(`wasm threads: ${fallbackReason}`);
      return null;
    } catch (err) {
      return `failed to load (${(err as Error).message.split('\n')[0]})`;
    }
  }
  try {
    return (await tf.setBackend(name)) ? null : 'failed to initialise';
  } catch (err) {
    return `failed to initialise (${(err as Error).message.split('\n')[0]})`;
  }
}

const PROVIDERS: Record<string, string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu on Dawn (webgpu)',
  'tfjs-node': '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs (pure JavaScript)',
};

/**
 * Picks and activates the fastest backend present: tfjs-node-gpu, webgpu (a real GPU only),
 * tfjs-node, wasm, cpu.
 * `forced` (else the FACIAL_BACKEND environment variable) names one; 'tensorflow' means
 * "tfjs-node-gpu or tfjs-node, whichever is installed". A forced backend that cannot load
 * is an error, not a silent fallback: the user asked for it by name. The choice and the
 * reasons are printed once on stderr unless `quiet`.
 */
export async function selectBackend(forced?: string, opts: SelectBackendOptions = {}): Promise<BackendInfo> {
  const requested = forced ?? (process.env.FACIAL_BACKEND || undefined);
  if (requested !== undefined && !(BACKEND_NAMES as readonly string[]).includes(requested)) {
    const from = forced !== undefined ? '--backend' : 'FACIAL_BACKEND';
    throw new Error(`${from}: unknown backend '${requested}' (choose one of ${BACKEND_NAMES.join(', ')})`);
  }
  const candidates: Candidate[] =
    requested === undefined
      ? ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']
      : requested === 'tensorflow'
        ? ['tfjs-node-gpu', 'tfjs-node']
        : [requested as Candidate];
  const reasons: string[] = [];
  for (const name of candidates) {
    const device: { line?: string } = {};
    const why = await tryBackend(name, reasons, requested !== undefined, device);
    if (why) {
      reasons.push(`${name}: ${why}`);
      continue;
    }
    await tf.ready();
    const info: BackendInfo = {
      name: tf.getBackend(),
      provider: PROVIDERS[name],
      reasons,
      ...(device.line ? { device: device.line } : {}),
    };
    if (!opts.quiet && !announced) {
      announced = true;
      const on = info.device ? ` on ${info.device}` : '';
      const passed = reasons.length ? ` (${reasons.join('; ')})` : '';
      process.stderr.write(`facial: using backend ${info.name}${on}${passed}\n`);
    }
    return info;
  }
  throw new Error(`backend '${requested}' is not available: ${reasons.join('; ')}`);
}

let ensured: Promise<unknown> | null = null;

/**
 * Whether the backend now set was chosen by tfjs on its own: the first tensor made before any
 * choice makes tfjs initialise the highest-priority backend that loads, which in Node is its
 * pure-JavaScript cpu backend. tfjs records no difference between that and `tf.setBackend`,
 * so the engine's own entry points are watched: its lazy pick (the `backend` getter through
 * initializeBackendsAndReturnBest, or `tf.ready()` with nothing set) marks the choice implicit,
 * any other `setBackend` call marks it chosen. Tensors made before this module loaded are
 * unseen: then a set backend counts as chosen, as before.
 */
let implicitChoice = false;
{
  type WatchedEngine = {
    backendName: string | null;
    backendInstance: unknown;
    pendingBackendInit?: Promise<boolean> | null;
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    initializeBackendsAndReturnBest(): unknown;
  };
  const engine = tf.engine() as unknown as WatchedEngine;
  let picking = false;
  const { setBackend, ready, initializeBackendsAndReturnBest } = engine;
  engine.initializeBackendsAndReturnBest = function (this: WatchedEngine) {
    const best = initializeBackendsAndReturnBest.call(this) as { asyncInit?: boolean };
    picking = !best.asyncInit; // the getter calls setBackend with its pick next (an async one throws first)
    return best;
  };
  engine.ready = async function (this: WatchedEngine) {
    const lazy = this.backendInstance == null && this.pendingBackendInit == null;
    if (lazy) picking = true;
    try {
      return await ready.call(this);
    } finally {
      if (lazy) picking = false;
    }
  };
  engine.setBackend = function (this: WatchedEngine, name: string) {
    implicitChoice = picking;
    picking = false;
    return setBackend.call(this, name);
  };
}

/**
 * Called by the library's computing entry points (trainResnet50, evaluateModel, predict):
 * when the caller has chosen no backend (no `tf.setBackend`, no selectBackend), selects the
 * fastest present as the CLI does and says which, once. A backend the caller set is
 * respected. One tfjs fell back to by itself (a tensor made first, e.g. reading
 * `data.trainData`, puts tfjs on its pure-JavaScript cpu backend) is not a choice: it is
 * replaced, and the line says so; tfjs moves the existing tensors to the new backend as they
 * are used. Without this, training ran about 1000x slower than on wasm with nothing said.
 */
export async function ensureBackend(): Promise<void> {
  const engine = tf.engine() as unknown as { backendName: string | null; pendingBackendInit?: Promise<boolean> };
  if (engine.pendingBackendInit) await engine.pendingBackendInit;
  if (ensured) {
    await ensured;
    return;
  }
  if (engine.backendName && !(implicitChoice && engine.backendName === 'cpu')) return;
  if (engine.backendName) {
    process.stderr.write(
      `facial: tfjs fell back to its pure-JavaScript cpu backend by itself (a tensor was made before any backend was chosen), ` +
        `about 1000x slower to train; switching to the fastest backend present. To choose: await selectBackend() (or tf.setBackend) before making tensors\n`,
    );
  }
  ensured = selectBackend();
  await ensured;
}
