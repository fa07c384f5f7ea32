/**
 * The WebGPU engine: tfjs-backend-webgpu on Dawn (npm `webgpu`), so training runs on any GPU with
 * a Vulkan, Metal or D3D12 driver, no CUDA. engine/select.ts loads it for 'webgpu'. It adds no
 * kernels: the BatchNormalization layer and the L2 regulariser use plain tfjs ops here, which
 * tfjs-backend-webgpu runs as shaders. What it registers is the device's batch limit and its
 * errors (out of memory), which tfjs itself never reads.
 */
import * as tf from '@tensorflow/tfjs';
import { registerEngine } from '../capabilities';
import { takeDeviceError, webGpuLimits } from './activate';
import { batchLimit } from './batch-limits';

export { activateWebGpuBackend, takeDeviceError, webGpuLimits, DeviceLimits, WebGpuActivation } from './activate';
export { AdapterReport, WebGpuUnavailableError, adapterLine, describeAdapter, requestAdapter } from './adapter';
export { batchLimit, largestActivation } from './batch-limits';

registerEngine({
  name: 'webgpu',
  servesBackend: (backend) => backend === 'webgpu' && webGpuLimits() !== null,
  capabilities: {
    batchLimit: (model: tf.LayersModel) => batchLimit(model, webGpuLimits()!),
    takeDeviceError,
    // tfjs-backend-webgpu reads synchronously only through an OffscreenCanvas, which Node lacks.
    readsSync: () => typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined',
  },
});
