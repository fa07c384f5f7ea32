/**
 * The wasm engine: tfjs-backend-wasm (threaded where the machine has cores to spare) with the
 * training kernels it lacks. engine/select.ts loads it when it selects 'wasm'; importing it
 * registers its fast paths with the core (engine/capabilities.ts).
 */
export { registerWasmTrainingKernels, trainingKernelConfigs } from './kernels';
export { convGradKernelConfigs } from './conv-grads';
export { activateWasmBackend, registerThreadedWasmBackend, ThreadedWasmOptions } from './threaded';
