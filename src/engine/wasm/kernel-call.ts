/**
 * Calling other kernels of a backend from inside a kernel, at the TensorInfo level.
 *
 * A registered kernel must not go through the engine (that would record on the tape and count
 * tensors), so composite kernels here call the backend's own kernel functions directly and free
 * every intermediate they create with `backend.disposeData`.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/** Runs kernel `name` of `backend` (looked up under `backendName`) on TensorInfos. */
export function callKernel(
  backendName: string,
  backend: KernelBackend,
  name: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (kernel == null) throw new Error(`kernel '${name}' is not registered for backend '${backendName}'`);
  const out = kernel.kernelFunc({ inputs, attrs, backend });
  return Array.isArray(out) ? out[0] : out;
}

/**
 * A small scope for composite kernels: `run` calls a kernel and remembers its output as an
 * intermediate; `keep` marks the one result to hand back; `dispose` frees the rest.
 */
export class KernelScope {
  private readonly temps: TensorInfo[] = [];
  constructor(
    readonly backendName: string,
    readonly backend: KernelBackend,
  ) {}

  /** Runs a kernel; its output is freed by dispose() unless passed to keep(). */
  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const out = callKernel(this.backendName, this.backend, name, inputs, attrs);
    this.temps.push(out);
    return out;
  }

  /** Adopts a TensorInfo made outside run() (e.g. by a heap loop) as an intermediate. */
  track(x: TensorInfo): TensorInfo {
    this.temps.push(x);
    return x;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  pad(x: TensorInfo, paddings: Array<[number, number]>): TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  /** Removes `x` from the intermediates so dispose() leaves it alive. */
  keep(x: TensorInfo): TensorInfo {
    const i = this.temps.lastIndexOf(x);
    if (i >= 0) this.temps.splice(i, 1);
    return x;
  }

  /** Frees every intermediate still held (refcounted, so shared buffers survive). */
  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** The fast path of {@link kernelInFrontOf}: a result, or null to let the original kernel run. */
export type FastPath = (args: Parameters<KernelFunc>[0]) => TensorInfo | TensorInfo[] | null;

/**
 * A config for kernel `kernelName` on `backendName` that tries `fast` first and hands the call
 * to the kernel registered there now (tfjs-backend-wasm's own) when it returns null. The
 * original's setupFunc is kept (it binds its C function when the backend initialises), then
 * `onSetup` runs on the new backend instance.
 */
export function kernelInFrontOf(
  kernelName: string,
  backendName: string,
  fast: FastPath,
  onSetup?: (backend: KernelBackend) => void,
): KernelConfig {
  const original = tf.getKernel(kernelName, backendName);
  if (original == null) throw new Error(`backend '${backendName}' has no ${kernelName} kernel to fall back on`);
  const kernelFunc: KernelFunc = (args) => fast(args) ?? original.kernelFunc(args);
  const setupFunc = (backend: object) => {
    original.setupFunc?.(backend);
    onSetup?.(backend as KernelBackend);
  };
  return { kernelName, backendName, kernelFunc, setupFunc };
}
