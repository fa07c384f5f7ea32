/**
 * Activates tfjs's WebGPU backend in Node over Dawn. tfjs-backend-webgpu registers itself only
 * where `navigator.gpu` exists when it is imported, so the globals Dawn provides (GPUBufferUsage
 * and the rest) and navigator.gpu are installed first, and the backend is imported after.
 */
import * as tf from '@tensorflow/tfjs';
import { AdapterReport, loadDawn, mayHaveGpu, requestAdapter } from './adapter';

/** The device limits the engine checks batches against, in bytes. */
export interface DeviceLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** The parts of a GPUDevice read here. */
interface DeviceLike {
  limits: Record<string, number>;
  addEventListener(type: 'uncapturederror', listener: (e: { error?: { message?: string; constructor?: { name?: string } } }) => void): void;
}

/** What activation found. */
export interface WebGpuActivation {
  report: AdapterReport;
  /** The limits of the device tfjs made (tfjs asks for the adapter's own maxima). */
  limits: DeviceLimits;
}

let activation: WebGpuActivation | null = null;
let firstError: string | null = null;

/** The first uncaptured error of the device since the last call, or null; forgets it. */
export function takeDeviceError(): string | null {
  const e = firstError;
  firstError = null;
  return e;
}

/** The active WebGPU device's limits, or null when the engine has not been activated. */
export function webGpuLimits(): DeviceLimits | null {
  return activation?.limits ?? null;
}

/**
 * Finds an adapter (throwing WebGpuUnavailableError when there is none or `webgpu` is missing),
 * then makes 'webgpu' the active tfjs backend. `allowSoftware: false` refuses a software adapter
 * with a reason instead (the automatic choice: wasm is faster than a CPU rasteriser). Once
 * active, later calls reuse the device and what was learnt of its adapter.
 */
export async function activateWebGpuBackend(opts: { allowSoftware?: boolean } = {}): Promise<WebGpuActivation | { refused: string }> {
  const refuseSoftware = opts.allowSoftware === false;
  if (activation) {
    if (refuseSoftware && activation.report.software) return { refused: softwareRefusal(activation.report) };
    if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu: tfjs failed to re-activate its WebGPU backend');
    return activation;
  }
  if (refuseSoftware && !mayHaveGpu()) return { refused: 'no GPU device (/dev/dri/renderD*, /dev/nvidia*)' };
  // tfjs requests its own adapter with the same options; this one is for the checks and the report.
  const { report } = await requestAdapter();
  if (refuseSoftware && report.software) return { refused: softwareRefusal(report) };
  const { gpu, globals } = loadDawn();
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav) {
    if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, writable: true, configurable: true });
  }
  require('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu: tfjs failed to initialise its WebGPU backend on this adapter');
  const device = (tf.backend() as unknown as { device: DeviceLike }).device;
  // tfjs pushes no error scopes: an out-of-memory or validation error would only be printed by Dawn.
  device.addEventListener('uncapturederror', (e) => {
    firstError ??= `${e.error?.constructor?.name ?? 'GPUError'}: ${String(e.error?.message ?? '')
      .split('\n')[0]
      .trim()}`;
  });
  activation = {
    report,
    limits: { maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize },
  };
  return activation;
}

function softwareRefusal(report: AdapterReport): string {
  return `software adapter (${report.vendor} ${report.description}), used only when asked for (--backend webgpu)`;
}
