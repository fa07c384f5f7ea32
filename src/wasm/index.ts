/**
 * Training support for the wasm backend: kernels it lacks and faster versions of slow ones.
 * `registerWasmTrainingKernels()` is what src/backend.ts calls when it selects 'wasm'.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { convGradKernelConfigs } from './conv-grads';
import { fusedBatchNormGradConfig, meanGradConfig } from './batchnorm-grad';
import { reduceKernelConfigs } from './reduce';
import { batchNormTrainingGradConfig, batchNormTrainingKernelConfigs } from './batchnorm-train';
import { noCopyKernelConfigs } from './no-copy';
import { convForwardKernelConfigs } from './conv-forward';
import { poolGradKernelConfigs } from './pool-grad';

export { convGradKernelConfigs } from './conv-grads';

/** Every kernel this module provides, for the backend registered as `backendName`. */
export function trainingKernelConfigs(backendName: string): KernelConfig[] {
  return [...convGradKernelConfigs(backendName), ...reduceKernelConfigs(backendName),
    ...batchNormTrainingKernelConfigs(backendName), ...noCopyKernelConfigs(backendName),
    ...convForwardKernelConfigs(backendName), ...poolGradKernelConfigs(backendName)];
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

export { activateWasmBackend, registerThreadedWasmBackend, ThreadedWasmOptions } from './threaded';
export { compileForInference, fastPredictor, InferenceModel } from './inference';
export { FusedAdamOptimizer, FusedMomentumOptimizer, makeFusedOptimizer } from './fused-optimizers';
export { ParallelTrainer, ParallelTrainerOptions } from './parallel-trainer';
