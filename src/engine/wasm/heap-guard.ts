/**
 * A clear error when the wasm heap is full.
 *
 * tfjs-backend-wasm does not check what malloc returns: when the heap (at most 4 GB, less for
 * the threaded build) is exhausted, malloc gives 0 and the tensor is placed at address 0 —
 * the plain build then fails later with "memory access out of bounds", the threaded build
 * silently overwrites other tensors and can hang. Training ResNet-50 at 200x200 needs about
 * 0.75 GB per image, so batch 8 does not fit; this turns that into an error saying so.
 */
import type { KernelBackend } from '@tensorflow/tfjs';

interface WasmModuleLike {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}

const guarded = new WeakSet<object>();

/** Makes `backend`'s tensor allocations throw when the heap is exhausted. Idempotent. */
export function guardWasmHeap(backend: KernelBackend): void {
  const wasm = (backend as unknown as { wasm?: WasmModuleLike }).wasm;
  if (!wasm || typeof wasm._malloc !== 'function' || guarded.has(wasm)) return;
  // Emscripten's export is a lazy stub that replaces itself with the raw function on its first
  // call: make that call now, so the wrapper below is not overwritten.
  wasm._free(wasm._malloc(8));
  const malloc = wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number): number => {
    const ptr = malloc(bytes);
    if (ptr === 0 && bytes > 0) {
      const heapMb = Math.round(wasm.HEAPU8.length / 2 ** 20);
      throw new Error(
        `wasm heap exhausted: cannot allocate ${Math.ceil(bytes / 2 ** 20)} MB more (heap ${heapMb} MB, ` +
          'wasm32 tops out near 4 GB); use a smaller batch or image size',
      );
    }
    return ptr;
  };
  guarded.add(wasm);
}
