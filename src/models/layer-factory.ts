/**
 * What the two ResNet-50 factories build with: Keras-style layer names, reproducible
 * initializer seeds, and the layers both use with Keras's defaults (Conv2D with a zero bias,
 * BatchNormalization, ReLU), so each factory file holds only its architecture.
 */
import * as tf from '@tensorflow/tfjs';
// tfjs-layers' BatchNormalization with a one-kernel training path on wasm (same class name and weights).
import { batchNormalization } from './batch-normalization';

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

/** Everything a builder needs besides its input: the names and the seeds handed out so far. */
export interface BuildContext {
  names: KerasLayerNames;
  seeds: SeedSequence;
}

/** A fresh context: names counted from 1, initializer seeds derived from `seed`. */
export function buildContext(seed?: number): BuildContext {
  return { names: new KerasLayerNames(), seeds: new SeedSequence(seed) };
}

/** `layer.apply(x)` typed for the functional API. */
export function apply(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/** A Conv2D as Keras makes it, with the name, initializer and (optional) regulariser given. */
export interface ConvSpec {
  filters: number;
  kernelSize: number;
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  name: string;
  kernelInitializer: Initializer;
  kernelRegularizer?: ReturnType<typeof tf.regularizers.l2>;
}

/** Keras's Conv2D defaults where tfjs's differ: the bias is kept, initialised to zeros. */
export function conv2d(spec: ConvSpec): tf.layers.Layer {
  return tf.layers.conv2d({ strides: 1, padding: 'valid', ...spec, useBias: true, biasInitializer: 'zeros' });
}

/** BatchNormalization over channels with Keras's defaults (momentum 0.99, epsilon 1e-3). */
export function kerasBatchNorm(name: string): tf.layers.Layer {
  return batchNormalization({ axis: 3, momentum: 0.99, epsilon: 1e-3, name });
}

/** A ReLU activation layer, auto-named as Keras would (activation_N). */
export function relu(ctx: BuildContext): tf.layers.Layer {
  return tf.layers.activation({ activation: 'relu', name: ctx.names.next('activation') });
}

/** Throws, naming the factory, unless the shape is three positive integers [height, width, channels]. */
export function checkShapeIntegers(who: string, inputShape: [number, number, number]): void {
  if (!inputShape.every((d) => Number.isInteger(d) && d > 0) || inputShape.length !== 3) {
    throw new Error(`${who}: inputShape must be three positive integers [height, width, channels], got [${inputShape.join(', ')}]`);
  }
}
