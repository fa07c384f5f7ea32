/** Saving and loading models without tfjs-node (model issue #3 fills this in). */
import * as tf from '@tensorflow/tfjs';

/** Saves `model` as model.json + weights.bin in `dir`. */
export async function saveModel(_model: tf.LayersModel, _dir: string): Promise<void> {
  throw new Error('saveModel: not implemented yet');
}

/** Loads a model saved by saveModel (or by tfjs). */
export async function loadModel(_dir: string): Promise<tf.LayersModel> {
  throw new Error('loadModel: not implemented yet');
}
