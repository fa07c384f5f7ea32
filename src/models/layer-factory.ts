/**
 * Small helpers shared by the two ResNet-50 factories: Keras-style layer names and
 * reproducible initializer seeds.
 */
import * as tf from '@tensorflow/tfjs';

/** A tfjs-layers initializer (the class is not exported under a public name). */
export type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/**
 * Hands out names the way a fresh Keras 2.x session auto-names layers (`conv2d_1`,
 * `batch_normalization_1`, `activation_1`, `add_1`, ...), counting per layer type in
 * creation order. tfjs's own auto names carry a process-wide counter, so the same
 * architecture built twice would get different names and by-name loading would break;
 * these names are stable and match what Keras wrote into files saved from a fresh session.
 */
export class KerasLayerNames {
  private readonly counts = new Map<string, number>();

  /** Next name for a layer type, e.g. `next('conv2d')` → `conv2d_3`. */
  next(type: string): string {
    const n = (this.counts.get(type) ?? 0) + 1;
    this.counts.set(type, n);
    return `${type}_${n}`;
  }
}

/**
 * Derives one seed per initializer from a model seed, so that two models built with the
 * same seed get identical weights. Without a model seed every initializer is unseeded.
 */
export class SeedSequence {
  private counter = 0;

  constructor(private readonly seed?: number) {}

  /** The next derived seed, or undefined when the model has no seed. */
  next(): number | undefined {
    if (this.seed === undefined) return undefined;
    this.counter += 1;
    // A large odd stride keeps the derived seeds of nearby model seeds apart.
    return (this.seed * 7919 + this.counter) % 2147483647;
  }

  /** Keras's default kernel initializer (glorot_uniform), seeded. */
  glorotUniform(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.next() });
  }

  /** he_normal (truncated normal, stddev sqrt(2 / fan_in), as in Keras 2.1), seeded. */
  heNormal(): Initializer {
    return tf.initializers.heNormal({ seed: this.next() });
  }
}
