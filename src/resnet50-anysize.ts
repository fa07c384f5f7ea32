/**
 * raghakot/keras-resnet's ResNet-50 (ResnetBuilder.build_resnet_50), the "any size" model the
 * original project trained at 48x48: pre-activation (v2) bottlenecks, he_normal + L2(1e-4)
 * conv kernels with biases kept, a 1x1 projection shortcut without BN only where the shape
 * changes, and an average pool over the whole final map, so any input from 32 up works.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from './data/emotions';
import { apply, BuildContext, buildContext, checkShapeIntegers, conv2d, kerasBatchNorm, relu } from './models/layer-factory';
// Keras's L1L2 with a one-multiply gradient (same class name and config).
import { l2 } from './models/regularizers';

/** Options of the any-size ResNet-50 factory. */
export interface ResNet50AnySizeOptions {
  /** [height, width, channels]; height and width at least {@link RESNET50_ANYSIZE_MIN_SIZE}. */
  inputShape: [number, number, number];
  /** Width of the final Dense softmax (default 7). */
  classes?: number;
  /** Seeds every initializer deterministically (same seed → identical weights). */
  seed?: number;
}

/** Smallest side that still leaves a final map of at least 1x1 (32 -> 16 -> 8 -> 8 -> 4 -> 2 -> 1). */
export const RESNET50_ANYSIZE_MIN_SIZE = 32;

/** raghakot's bottleneck repetitions for ResNet-50; the filters double per stage from 64. */
const REPETITIONS = [3, 4, 6, 3];
const L2_WEIGHT_DECAY = 1e-4;

/**
 * Layer names follow the Keras 2.x auto-naming a fresh session would give raghakot's
 * unnamed layers (conv2d_1, batch_normalization_1, ...), counted in creation order, so
 * they are stable and a file saved from such a session also loads by name.
 */
function conv(
  ctx: BuildContext,
  filters: number,
  kernelSize: number,
  strides: number | [number, number] = 1,
  padding: 'same' | 'valid' = 'same',
): tf.layers.Layer {
  return conv2d({
    filters,
    kernelSize,
    strides,
    padding,
    name: ctx.names.next('conv2d'),
    kernelInitializer: ctx.seeds.heNormal(),
    kernelRegularizer: l2({ l2: L2_WEIGHT_DECAY }),
  });
}

/** _bn_relu: BN (Keras defaults) then ReLU. */
function bnRelu(ctx: BuildContext, x: tf.SymbolicTensor): tf.SymbolicTensor {
  x = apply(kerasBatchNorm(ctx.names.next('batch_normalization')), x);
  return apply(relu(ctx), x);
}

/** _bn_relu_conv: the pre-activation unit. */
function bnReluConv(ctx: BuildContext, x: tf.SymbolicTensor, filters: number, kernelSize: number, strides = 1): tf.SymbolicTensor {
  const activated = bnRelu(ctx, x);
  return apply(conv(ctx, filters, kernelSize, strides), activated);
}

/** Static [height, width, channels] of a symbolic NHWC tensor. */
function hwc(x: tf.SymbolicTensor): [number, number, number] {
  const [, h, w, c] = x.shape;
  return [h as number, w as number, c as number];
}

/** _shortcut: identity, or a 1x1 'valid' conv (no BN) where the residual's shape differs. */
function shortcut(ctx: BuildContext, input: tf.SymbolicTensor, residual: tf.SymbolicTensor): tf.SymbolicTensor {
  const [inH, inW, inC] = hwc(input);
  const [resH, resW, resC] = hwc(residual);
  const strideH = Math.round(inH / resH);
  const strideW = Math.round(inW / resW);
  let short = input;
  if (strideH > 1 || strideW > 1 || inC !== resC) {
    short = apply(conv(ctx, resC, 1, [strideH, strideW], 'valid'), input);
  }
  // add([shortcut, residual]) as raghakot: the operand order decides model.layers order.
  return apply(tf.layers.add({ name: ctx.names.next('add') }), [short, residual]);
}

/** raghakot's bottleneck; the very first block of the network skips its leading BN-ReLU. */
function bottleneck(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  filters: number,
  initStrides: number,
  isFirstBlockOfFirstLayer: boolean,
): tf.SymbolicTensor {
  const conv1x1 = isFirstBlockOfFirstLayer
    ? apply(conv(ctx, filters, 1, initStrides), input)
    : bnReluConv(ctx, input, filters, 1, initStrides);
  const conv3x3 = bnReluConv(ctx, conv1x1, filters, 3);
  const residual = bnReluConv(ctx, conv3x3, filters * 4, 1);
  return shortcut(ctx, input, residual);
}

/** _residual_block: `repetitions` bottlenecks, the first strided 2 except in the first stage. */
function residualBlock(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  filters: number,
  repetitions: number,
  isFirstLayer: boolean,
): tf.SymbolicTensor {
  for (let i = 0; i < repetitions; i++) {
    const initStrides = i === 0 && !isFirstLayer ? 2 : 1;
    x = bottleneck(ctx, x, filters, initStrides, isFirstLayer && i === 0);
  }
  return x;
}

/**
 * raghakot/keras-resnet ResnetBuilder.build_resnet_50((channels, h, w), classes), returned
 * uncompiled: [N, h, w, c] -> [N, classes] softmax. Any input side from 32 up.
 */
export function resnet50AnySize(opts: ResNet50AnySizeOptions): tf.LayersModel {
  const { inputShape, classes = NUM_CLASSES } = opts;
  checkShapeIntegers('resnet50AnySize', inputShape);
  const [h, w] = inputShape;
  if (h < RESNET50_ANYSIZE_MIN_SIZE || w < RESNET50_ANYSIZE_MIN_SIZE) {
    throw new Error(`resnet50AnySize: input ${h}x${w} is too small; height and width must be at least ${RESNET50_ANYSIZE_MIN_SIZE}`);
  }
  const ctx = buildContext(opts.seed);

  const input = tf.input({ shape: inputShape, name: 'input_1' });
  // _conv_bn_relu stem, then a 'same' max pool (unlike Keras's valid one).
  let x = apply(conv(ctx, 64, 7, 2), input);
  x = bnRelu(ctx, x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: ctx.names.next('max_pooling2d') }), x);

  let filters = 64;
  REPETITIONS.forEach((repetitions, i) => {
    x = residualBlock(ctx, x, filters, repetitions, i === 0);
    filters *= 2;
  });

  x = bnRelu(ctx, x);
  // Pooling over the whole final map (its static size) is what makes any input size work.
  const [mapH, mapW] = hwc(x);
  x = apply(tf.layers.averagePooling2d({ poolSize: [mapH, mapW], strides: 1, name: ctx.names.next('average_pooling2d') }), x);
  x = apply(tf.layers.flatten({ name: ctx.names.next('flatten') }), x);
  x = apply(
    tf.layers.dense({
      units: classes,
      activation: 'softmax',
      name: ctx.names.next('dense'),
      kernelInitializer: ctx.seeds.heNormal(),
      biasInitializer: 'zeros',
    }),
    x,
  );
  return tf.model({ inputs: input, outputs: x, name: 'resnet50_anysize' });
}
