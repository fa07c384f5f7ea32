/** Keras .h5 weights in and out (model issue #3 fills this in). */
import * as tf from '@tensorflow/tfjs';

/** Loads a Keras 2.x weights file into `model`. */
export async function loadKerasWeights(_model: tf.LayersModel, _h5Path: string, _opts: { byName?: boolean } = {}): Promise<void> {
  throw new Error('loadKerasWeights: not implemented yet');
}

/** Saves `model`'s weights in Keras 2.x layout. */
export async function saveKerasWeights(_model: tf.LayersModel, _h5Path: string): Promise<void> {
  throw new Error('saveKerasWeights: not implemented yet');
}
