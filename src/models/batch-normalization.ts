/**
 * The BatchNormalization layer both ResNet-50s use: tfjs-layers' own, registered under its
 * class name (so saved models stay plain tfjs), with a training-mode call that takes an
 * engine's fused kernel when the active backend has one (see engine/capabilities.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { capability, EngineCapabilities } from '../engine/capabilities';

type LayerArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type BaseLayer = ReturnType<typeof tf.layers.batchNormalization>;
interface BnInternals {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}
type BnClass = new (args?: LayerArgs) => BaseLayer;

/** tfjs-layers' BatchNormalization class (not exported under a public name). */
const BaseBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as BnClass;

/** The engine's fused training kernel, when it has one and the layer and input suit it. */
function fastPath(layer: BnInternals, input: tf.Tensor): EngineCapabilities['batchNormTraining'] | undefined {
  if (input.dtype !== 'float32' || !layer.center || !layer.scale) return undefined;
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + input.rank;
  if (axis !== input.rank - 1 || input.rank < 2) return undefined;
  return capability('batchNormTraining');
}

/**
 * tfjs-layers' BatchNormalization (same class name, config, weights and their order), whose
 * training-mode call takes the engine's fused kernel where one is registered for the active
 * backend (the wasm engine's: one forward, one backward pass) and is tfjs's own elsewhere. The moving averages are
 * updated exactly as tfjs-layers does: moving = moving - (moving - batch) * (1 - momentum),
 * with the biased batch variance.
 */
export class FastBatchNormalization extends BaseBatchNormalization {
  /**
   * Set while fine-tuning holds the layer fixed (models/fine-tune.ts freezeLayers): it then runs
   * in inference mode, its moving statistics untouched, as Keras 2 runs a frozen BatchNormalization.
   * Not tfjs's `trainable`, which would reorder the model's weights; not saved with the model.
   */
  frozen = false;

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    if (this.frozen && kwargs?.training) kwargs = { ...kwargs, training: false };
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as BnInternals;
    const fused = kwargs?.training && !(Array.isArray(inputs) && inputs.length !== 1) ? fastPath(self, input) : undefined;
    if (!fused) return super.call(inputs, kwargs as tf.serialization.ConfigDict);
    return tf.tidy(() => {
      const [y, mean, variance] = fused(input, self.gamma.read(), self.beta.read(), self.epsilon);
      const decay = 1 - self.momentum;
      for (const [variable, value] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const orig = variable.read();
          variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), decay)));
        });
      }
      return y;
    });
  }
}

// Registered under tfjs-layers' class name, so models loaded from model.json or .h5 configs
// (tf.loadLayersModel, our loadModel) get the fast training path too. The class adds no config.
tf.serialization.registerClass(
  FastBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
);

/** Drop-in for `tf.layers.batchNormalization(args)` with the fast training path. */
export function batchNormalization(args?: LayerArgs): BaseLayer {
  return new FastBatchNormalization(args);
}
