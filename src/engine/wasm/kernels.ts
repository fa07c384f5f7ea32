/**
 * The wasm engine's kernels and its registration: the kernels tfjs-backend-wasm lacks for
 * training and faster versions of slow ones, and the fast paths it offers the core through
 * engine/capabilities.ts (fused training BatchNorm, one-pass sum of squares).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { registerEngine } from '../capabilities';
import { convGradKernelConfigs } from './conv-grads';
import { fusedBatchNormGradConfig, meanGradConfig } from './batchnorm-grad';
import { reduceKernelConfigs, SUM_OF_SQUARES } from './reduce';
import { BN_TRAIN, batchNormTraining, batchNormTrainingGradConfig, batchNormTrainingKernelConfigs } from './batchnorm-train';
import { noCopyKernelConfigs } from './no-copy';
import { convForwardKernelConfigs } from './conv-forward';
import { poolGradKernelConfigs } from './pool-grad';

/** Every kernel this module provides, for the backend registered as `backendName`. */
export function trainingKernelConfigs(backendName: string): KernelConfig[] {
  return [
    ...convGradKernelConfigs(backendName),
    ...reduceKernelConfigs(backendName),
    ...batchNormTrainingKernelConfigs(backendName),
    ...noCopyKernelConfigs(backendName),
    ...convForwardKernelConfigs(backendName),
    ...poolGradKernelConfigs(backendName),
  ];
}

const registered = new Set<string>();
let gradientsRegistered = false;

/**
 * Registers (replacing tfjs's own where it has one) the training kernels on `backendName`
 * (default 'wasm'), and the leaner batch-norm/mean gradients (for all backends: same values,
 * fewer full-size passes). Idempotent: a second call for the same backend does nothing.
 */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  if (registered.has(backendName)) return;
  for (const config of trainingKernelConfigs(backendName)) {
    if (tf.getKernel(config.kernelName, backendName) != null) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
  }
  registered.add(backendName);
  if (!gradientsRegistered) {
    tf.registerGradient(fusedBatchNormGradConfig);
    tf.registerGradient(meanGradConfig);
    tf.registerGradient(batchNormTrainingGradConfig);
    gradientsRegistered = true;
  }
}

// The core asks for these by capability; they apply on a wasm backend whose kernels are registered.
registerEngine({
  name: 'wasm',
  servesBackend: (backend) =>
    backend.startsWith('wasm') && tf.getKernel(BN_TRAIN, backend) != null && tf.getKernel(SUM_OF_SQUARES, backend) != null,
  capabilities: {
    batchNormTraining,
    sumOfSquares: (w) => tf.engine().runKernel(SUM_OF_SQUARES, { x: w }) as tf.Tensor,
    // wasm32: one heap of 4 GiB for the model, optimizer state, activations and data.
    dataLimitBytes: 2 * 1024 ** 3,
    foldsBatchNorm: true,
    slowSubnormals: true,
    // A 200x200 training step holds ~0.75 GB of activations per image: 4 was measured to fit
    // when this cap was set (8 fits a fresh process too; 16 does not).
    trainBatchCap: (imageSize) => (imageSize >= 197 ? 4 : undefined),
  },
});
