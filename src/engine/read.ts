/**
 * Reading tensors back to JavaScript. tfjs's WebGPU backend reads synchronously only through an
 * OffscreenCanvas, which Node does not have, so the library reads asynchronously on its own paths;
 * these helpers serve the few public APIs that are synchronous by contract (sklearn-style metrics).
 */
import * as tf from '@tensorflow/tfjs';
import { capability } from './capabilities';

/** True when the active backend can read a tensor synchronously in this process (its engine says otherwise). */
export function canReadSync(): boolean {
  return capability('readsSync')?.() ?? true;
}

/**
 * `t.dataSync()`, or, when the backend cannot read synchronously here and the values are not
 * already on the CPU, an error naming `who` and the asynchronous way to call it.
 */
export function readSync(t: tf.Tensor, who: string): tf.TypedArray {
  try {
    return t.dataSync() as tf.TypedArray;
  } catch (err) {
    if (canReadSync()) throw err;
    throw new Error(
      `${who}: the ${tf.getBackend()} backend cannot read a tensor synchronously in Node; pass \`await tensor.data()\` (a typed array) instead`,
    );
  }
}
