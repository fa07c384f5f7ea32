/**
 * The one interface between the core and the compute engines. An engine (engine/wasm/,
 * engine/webgpu/) registers the fast paths and the limits it has for the backends it serves;
 * the core asks for a capability by name (never for a backend by name) and falls back to plain
 * tfjs ops, and to no limit, when the active backend has none. So the core never imports an
 * engine, and works with none registered.
 */
import * as tf from '@tensorflow/tfjs';

/** The fast paths an engine may offer. Each is optional and must equal the plain-tfjs result. */
export interface EngineCapabilities {
  /**
   * Training-mode batch normalisation over the last axis of a float32 tensor: y, the batch
   * mean and the biased batch variance, differentiable with respect to x, scale and offset.
   */
  batchNormTraining?(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor];
  /** sum(w^2) of a float32 tensor, as a scalar, in one pass. */
  sumOfSquares?(w: tf.Tensor): tf.Tensor;
  /**
   * The largest batch of `model` the device can hold a tensor of, for backends whose buffers have
   * a size limit (WebGPU). Training refuses a larger batch with this in the message; inference
   * splits its batches to fit.
   */
  batchLimit?(model: tf.LayersModel): BatchLimit;
  /**
   * The first error the device reported since the last call (WebGPU's uncaptured errors: out of
   * memory, a failed validation), or null; forgets it. tfjs never looks at them, so without this
   * a GPU that ran out of memory goes on computing with invalid buffers, and nothing is said.
   */
  takeDeviceError?(): string | null;
  /**
   * Most bytes of image data to hold as full tensors beside a model (the wasm backends: their
   * heap is capped at 4 GiB for everything). A larger load is refused before allocating.
   */
  dataLimitBytes?: number;
  /**
   * Whether inference should fold BatchNormalization into the convolutions (models/inference.ts):
   * true where the fused convolution is one fast kernel (XNNPACK on wasm); elsewhere it was
   * measured to gain nothing (WebGPU) or not measured.
   */
  foldsBatchNorm?: boolean;
  /**
   * The largest training batch worth trying at `imageSize` when nothing else bounds it (the wasm
   * heap: a failed attempt leaves it too fragmented to retry in the same process).
   */
  trainBatchCap?(imageSize: number): number | undefined;
  /**
   * Whether arithmetic with subnormal float32 operands is slow here (WebAssembly on x86: no
   * flush-to-zero mode, a microcode assist per operand). Training then zeroes them every
   * SUBNORMAL_FLUSH_STEPS steps, and a loaded model once (models/denormals.ts), which is what
   * TensorFlow's CPU kernels get from FTZ/DAZ.
   */
  slowSubnormals?: boolean;
  /** Whether a tensor can be read synchronously in this process (false: WebGPU in Node, which has no OffscreenCanvas). */
  readsSync?(): boolean;
}

/** What bounds the batch on a device, as engine capability `batchLimit` reports it. */
export interface BatchLimit {
  maxBatch: number;
  /** The device limit that binds, by its WebGPU name, e.g. 'maxStorageBufferBindingSize'. */
  limit: string;
  limitBytes: number;
  /** The layer with the largest output per image. */
  layer: string;
  bytesPerImage: number;
}

/** A message for a batch over `l.maxBatch`, naming the limit, the layer and what fits. */
export function batchLimitMessage(batch: number, l: BatchLimit, backend: string): string {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  return (
    `batch ${batch} does not fit the ${backend} device: layer ${l.layer}'s output would be ${mib(batch * l.bytesPerImage)}, ` +
    `over the adapter's ${l.limit} (${mib(l.limitBytes)}); a batch of at most ${l.maxBatch} fits`
  );
}

/** What an engine registers. */
export interface EnginePlugin {
  /** e.g. 'wasm'. A second registration under the same name replaces the first. */
  name: string;
  /** Whether its capabilities apply while `backendName` is the active tfjs backend. */
  servesBackend(backendName: string): boolean;
  capabilities: EngineCapabilities;
}

const engines = new Map<string, EnginePlugin>();

/** Makes an engine's capabilities available to the core. */
export function registerEngine(engine: EnginePlugin): void {
  engines.set(engine.name, engine);
}

/** Removes an engine (tests show the core working without one). */
export function unregisterEngine(name: string): void {
  engines.delete(name);
}

/** The capability `name` of an engine serving the active backend, or undefined: then use plain tfjs ops. */
export function capability<K extends keyof EngineCapabilities>(name: K): EngineCapabilities[K] | undefined {
  const backend = tf.getBackend();
  for (const engine of engines.values()) {
    if (engine.capabilities[name] && engine.servesBackend(backend)) return engine.capabilities[name];
  }
  return undefined;
}

/**
 * Throws, naming `where`, when the active engine's device has reported an error since the last
 * check (see takeDeviceError); does nothing on engines without such errors.
 */
export function checkDevice(where: string): void {
  const err = capability('takeDeviceError')?.();
  if (err) throw new Error(`${where}: ${deviceErrorText(err)}`);
}

/** A device error as the library says it, with the remedy for running out of memory. */
export function deviceErrorText(err: string): string {
  const oom = /OutOfMemory|out of memory/i.test(err) ? '; the device ran out of memory: use a smaller batch' : '';
  return `the ${tf.getBackend()} device reported an error (${err})${oom}`;
}
