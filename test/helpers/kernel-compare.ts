/**
 * Shared by the wasm kernel tests: deterministic random inputs, running one kernel on a given
 * backend, and comparing against the cpu backend's result with a relative tolerance.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

/** `size` values in [-0.5, 0.5) from a fixed linear congruential sequence. */
export function randomArray(size: number, seed: number): Float32Array {
  let state = seed;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

/** Runs kernel `name` on `backend` with fresh tensors built from the given arrays. */
export async function runOn(
  backend: string,
  name: string,
  inputs: Record<string, [Float32Array, number[]]>,
  attrs: Record<string, unknown>,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [key, [values, shape]] of Object.entries(inputs)) tensors[key] = tf.tensor(values, shape);
  const out = tf.engine().runKernel(name, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  tf.dispose([out, ...Object.values(tensors)]);
  return values;
}

/** max |actual - expected| <= tolerance * (1 + max |expected|), same length. */
export function assertClose(actual: Float32Array, expected: Float32Array, what: string, tolerance = 1e-3): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(err <= tolerance * (1 + scale), `${what}: max abs error ${err} (scale ${scale})`);
}
