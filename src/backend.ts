/** Backend selection (engine issue #6 fills this in). */
import * as tf from '@tensorflow/tfjs';

/** What selectBackend chose, and why the faster ones were passed over. */
export interface BackendInfo {
  name: string;
  reasons: string[];
}

/**
 * Picks the fastest TensorFlow.js backend present: tfjs-node-gpu, tfjs-node, wasm, cpu.
 * `forced` (or the FACIAL_BACKEND environment variable) names one explicitly.
 */
export async function selectBackend(forced?: string, _opts: { quiet?: boolean } = {}): Promise<BackendInfo> {
  const name = forced ?? process.env.FACIAL_BACKEND ?? 'cpu';
  await tf.setBackend(name);
  await tf.ready();
  return { name: tf.getBackend(), reasons: [] };
}
