/** Keras-style ResNet-50 (model issue #3 fills this in). */
import * as tf from '@tensorflow/tfjs';

/** Options of the Keras-style ResNet-50 factory. */
export interface ResNet50Options {
  inputShape: [number, number, number];
  includeTop?: boolean;
  pooling?: 'avg' | 'max' | null;
  classes?: number;
  head?: 'none' | 'seed';
}

/** keras.applications.ResNet50 of Keras 2.1.x, layer for layer. */
export function resnet50(_opts: ResNet50Options): tf.LayersModel {
  throw new Error('resnet50: not implemented yet');
}
