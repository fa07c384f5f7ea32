/**
 * Identity, and Cast to the same dtype, as shared buffers instead of copies.
 *
 * tfjs-backend-wasm's Identity and Cast always copy into a new buffer. The engine clones every
 * tensor a gradient saves for the backward pass (an Identity each), and tfjs-layers casts
 * float32 inputs to float32, so a ResNet-50 training step made ~1,900 full-size copies: about
 * 90 ms of a 1.9 s step at 48x48, batch 32. tfjs-backend-cpu shares the buffer and counts
 * references instead; this does the same on the wasm heap. It is safe because no wasm kernel
 * writes into its inputs (a kernel added later that writes in place must copy a shared buffer first).
 */
import type { DataId, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { kernelInFrontOf } from './kernel-call';

/** The part of tfjs-backend-wasm's BackendWasm used here. */
interface RefCountingBackend {
  incRef(dataId: DataId): void;
}

/** A new TensorInfo on `x`'s buffer, one more reference to it (as tfjs-backend-cpu's identity). */
function share(backend: RefCountingBackend, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Identity and Cast kernels for `backendName` that share the input's buffer when no conversion
 * is needed, and hand strings and real dtype conversions to the kernels registered there now.
 */
export function noCopyKernelConfigs(backendName: string): KernelConfig[] {
  return (['Identity', 'Cast'] as const).map((kernelName) =>
    kernelInFrontOf(kernelName, backendName, (args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const dtype = kernelName === 'Cast' ? (args.attrs as { dtype?: string }).dtype : x.dtype;
      if (x.dtype === 'string' || dtype !== x.dtype) return null;
      return share(args.backend as unknown as RefCountingBackend, x);
    }),
  );
}
