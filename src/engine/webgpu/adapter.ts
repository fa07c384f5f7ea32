/**
 * WebGPU in Node: Dawn (Chrome's WebGPU implementation) from the npm package `webgpu`, an optional
 * dependency with prebuilt addons for Linux (Vulkan), macOS (Metal) and Windows (D3D12). This file
 * finds an adapter and describes it; activate.ts hands it to tfjs's WebGPU backend.
 */
import * as fs from 'node:fs';

/** The parts of a GPUAdapter this engine reads (typed here so the core compiles without `webgpu`). */
export interface AdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  readonly isFallbackAdapter?: boolean;
  readonly limits: Record<string, number>;
}

/** The GPU entry point `webgpu`'s create() returns (navigator.gpu in a browser). */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: string; forceFallbackAdapter?: boolean }): Promise<AdapterLike | null>;
}

/** What the engine says about the adapter it found. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  description: string;
  /**
   * A software rasteriser (Mesa's lavapipe/llvmpipe, SwiftShader, WARP) or an adapter Dawn
   * marks as fallback: correct but slower than wasm, so used only when asked for by name.
   */
  software: boolean;
  /** The two limits a large batch meets first, in bytes. */
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** Thrown when `webgpu` is missing or finds no adapter; the message says what to install. */
export class WebGpuUnavailableError extends Error {}

/**
 * On Linux a GPU that Vulkan can drive shows up as a device node (/dev/dri/renderD*, or
 * /dev/nvidia* for NVIDIA's own driver). Without one only a software adapter can exist, so the
 * automatic choice need not load Dawn (which also prints driver warnings). Elsewhere: true.
 */
export function mayHaveGpu(): boolean {
  if (process.platform !== 'linux') return true;
  const has = (dir: string, re: RegExp) => {
    try {
      return fs.readdirSync(dir).some((f) => re.test(f));
    } catch {
      return false;
    }
  };
  return has('/dev/dri', /^renderD\d+$/) || has('/dev', /^nvidia\d+$/);
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|warp|microsoft basic render/i;

let dawn: { gpu: GpuLike; globals: object } | null = null;

/** Loads Dawn once: its GPU entry point (navigator.gpu's counterpart) and its globals. */
export function loadDawn(): { gpu: GpuLike; globals: object } {
  if (dawn) return dawn;
  let mod: { create(opts: string[]): GpuLike; globals: object };
  try {
    mod = require('webgpu') as typeof mod;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')
      throw new WebGpuUnavailableError(
        'not installed (npm install webgpu@0.6.2 next to facial-resnet; it is an optional peer, or has no build for this platform)',
      );
    throw new WebGpuUnavailableError(`the webgpu package failed to load (${e.message.split('\n')[0]})`);
  }
  dawn = { gpu: mod.create([]), globals: mod.globals };
  return dawn;
}

/** Describes `adapter` for the one-line report and the selection rule. */
export function describeAdapter(adapter: AdapterLike): AdapterReport {
  const info = adapter.info ?? {};
  const vendor = info.vendor || 'unknown vendor';
  const architecture = info.architecture || 'unknown';
  const description = info.description || info.device || '';
  const software = adapter.isFallbackAdapter === true || architecture === 'software' || SOFTWARE.test(`${vendor} ${description}`);
  return {
    vendor,
    architecture,
    description,
    software,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}

/** One line for stderr, e.g. 'mesa llvmpipe (LLVM 19.1.7, 256 bits), software'. */
export function adapterLine(r: AdapterReport): string {
  const what = [r.vendor, r.description].filter(Boolean).join(' ');
  return `${what}, ${r.software ? 'software (fallback) adapter' : `${r.architecture} GPU`}`;
}

/**
 * Asks Dawn for a high-performance adapter. Throws WebGpuUnavailableError naming what is missing
 * when there is none: tfjs itself fails later with "Cannot read properties of null (reading 'features')".
 */
export async function requestAdapter(): Promise<{ adapter: AdapterLike; report: AdapterReport }> {
  const adapter = await loadDawn().gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    const driver =
      process.platform === 'linux'
        ? 'a Vulkan driver (a GPU vendor driver, or Mesa >= 24 for a software one: mesa-vulkan-drivers)'
        : process.platform === 'darwin'
          ? 'Metal (macOS 10.15+)'
          : 'a D3D12 driver';
    throw new WebGpuUnavailableError(`no WebGPU adapter: Dawn found no usable GPU; it needs ${driver}`);
  }
  return { adapter, report: describeAdapter(adapter) };
}
