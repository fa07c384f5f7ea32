/** Small models and data shared by the training tests (cpu backend, seconds per test). */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../src/data/image-transform';

/** conv(L2) + BN + dense softmax on 8x8x1: the smallest model with every ingredient of the real ones. */
export function tinyModel(seed = 1, l2 = 1e-3): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1] });
  let x = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      kernelRegularizer: tf.regularizers.l2({ l2 }),
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Learnable data: class k has a bright 3-column band at columns 3k..3k+2 (clipped), plus noise. */
export function tinyData(n: number, seed: number): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const rand = mulberry32(seed);
  const x = new Float32Array(n * 64),
    labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    labels.push(k);
    for (let p = 0; p < 64; p++) {
      const col = p % 8;
      x[i * 64 + p] = (col >= 3 * k && col < 3 * k + 3 ? 0.4 : -0.4) + 0.2 * (rand() - 0.5);
    }
  }
  return { xs: tf.tensor4d(x, [n, 8, 8, 1]), ys: tf.oneHot(tf.tensor1d(labels, 'int32'), 3) as tf.Tensor2D };
}

/** Options of tinyClassifier: its one convolution, and the seed of its two initialisers (seed, seed + 1). */
export interface TinyClassifierOptions {
  filters: number;
  kernelSize: number;
  strides?: number;
  activation?: 'relu';
  seed: number;
}

/**
 * conv -> flatten -> dense softmax over the 7 emotions on side x side x 1: the smallest stand-in
 * for a trained classifier where a test checks the pipeline around it, not what it learnt.
 */
export function tinyClassifier(side: number, o: TinyClassifierOptions): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [side, side, 1],
      filters: o.filters,
      kernelSize: o.kernelSize,
      strides: o.strides ?? 1,
      activation: o.activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed }),
    }),
  );
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 1 }) }));
  return model;
}
