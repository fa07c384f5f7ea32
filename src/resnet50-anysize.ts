/** raghakot's any-size ResNet-50 (model issue #3 fills this in). */
import * as tf from '@tensorflow/tfjs';

/** Options of the any-size ResNet-50 factory. */
export interface ResNet50AnySizeOptions {
  inputShape: [number, number, number];
  classes?: number;
}

/** raghakot/keras-resnet ResnetBuilder.build_resnet_50. */
export function resnet50AnySize(_opts: ResNet50AnySizeOptions): tf.LayersModel {
  throw new Error('resnet50AnySize: not implemented yet');
}
