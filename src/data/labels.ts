/**
 * Class ids as the rest of the library wants them: counted per class (balanced class weights,
 * reports) and one-hot (training targets). One place, so every source agrees.
 */
import * as tf from '@tensorflow/tfjs';

/** counts[k]: how many of `labels` are class k, for k in 0..numClasses-1. */
export function countClasses(labels: Iterable<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

/** One-hot float32 [N, numClasses] of class ids; `indices` picks and orders the rows (default all). */
export function oneHot(labels: ArrayLike<number>, numClasses: number, indices?: ArrayLike<number>): tf.Tensor2D {
  const n = indices ? indices.length : labels.length;
  const y = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) y[i * numClasses + labels[indices ? indices[i] : i]] = 1;
  return tf.tensor2d(y, [n, numClasses], 'float32');
}
