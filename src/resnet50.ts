/**
 * keras.applications.ResNet50 as it was in Keras 2.1.x (keras/applications/resnet50.py),
 * rebuilt layer for layer with tfjs-layers: post-activation bottlenecks, the same strides,
 * paddings, BatchNormalization settings, conv biases and layer names, so that weights saved
 * by that Keras load into it by name and by order (see keras-h5.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from './data/emotions';
import { apply, BuildContext, buildContext, checkShapeIntegers, conv2d as kerasConv2d, kerasBatchNorm, relu } from './models/layer-factory';

/** Options of the Keras-style ResNet-50 factory. */
export interface ResNet50Options {
  /** [height, width, channels]; height and width at least {@link RESNET50_MIN_SIZE}. */
  inputShape: [number, number, number];
  /** Flatten + Dense(classes, softmax) named `fc1000` after `avg_pool` (default true). */
  includeTop?: boolean;
  /** Without the top: 'avg' / 'max' global pooling after `avg_pool`, or none (4-D output). */
  pooling?: 'avg' | 'max' | null;
  /**
   * Width of `fc1000`. Keras defaults to 1000; this project defaults to 7 (the FER2013
   * emotions) so that `resnet50({inputShape})` is a ready [N, 7] classifier.
   */
  classes?: number;
  /**
   * 'none' (default): Keras's own top as includeTop/pooling/classes make it.
   * 'seed': the original project's head on top of the 1000-way `fc1000` softmax:
   * LeakyReLU(0.3) -> Dense(128) -> LeakyReLU(0.3) -> Dense(7) -> softmax.
   */
  head?: 'none' | 'seed';
  /**
   * With head 'seed': add the Dropout(0.3) after the first LeakyReLU and the Dropout(0.4)
   * after the second, as the published weights were trained (default false). Dropout has
   * no weights, so it does not change weight loading.
   */
  headDropout?: boolean;
  /** Seeds every initializer deterministically (same seed → identical weights). */
  seed?: number;
}

/**
 * The smallest height/width Keras 2.1.x accepts: the fixed 7x7 `avg_pool` needs a 7x7 final
 * map (197 -> 99 -> 49 -> 25 -> 13 -> 7).
 */
export const RESNET50_MIN_SIZE = 197;

/** One row of the stage table: stage number, bottleneck filters, block letters. */
interface StageSpec {
  stage: number;
  filters: [number, number, number];
  blocks: string;
  strides: number;
}

/** The stages of ResNet-50, as the calls in keras/applications/resnet50.py. */
const STAGES: StageSpec[] = [
  { stage: 2, filters: [64, 64, 256], blocks: 'abc', strides: 1 },
  { stage: 3, filters: [128, 128, 512], blocks: 'abcd', strides: 2 },
  { stage: 4, filters: [256, 256, 1024], blocks: 'abcdef', strides: 2 },
  { stage: 5, filters: [512, 512, 2048], blocks: 'abc', strides: 2 },
];

function conv2d(
  ctx: BuildContext,
  filters: number,
  kernelSize: number,
  name: string,
  strides = 1,
  padding: 'valid' | 'same' = 'valid',
): tf.layers.Layer {
  return kerasConv2d({ filters, kernelSize, strides, padding, name, kernelInitializer: ctx.seeds.glorotUniform() });
}

/**
 * The three convolutions both of Keras's blocks share: 1x1 (strided in a conv_block) ->
 * kernelSize x kernelSize -> 1x1, each followed by BN, the first two by ReLU.
 */
function residualBranch(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  kernelSize: number,
  filters: [number, number, number],
  prefix: { conv: string; bn: string },
  strides = 1,
): tf.SymbolicTensor {
  const [filters1, filters2, filters3] = filters;
  let x = apply(conv2d(ctx, filters1, 1, `${prefix.conv}2a`, strides), input);
  x = apply(kerasBatchNorm(`${prefix.bn}2a`), x);
  x = apply(relu(ctx), x);

  x = apply(conv2d(ctx, filters2, kernelSize, `${prefix.conv}2b`, 1, 'same'), x);
  x = apply(kerasBatchNorm(`${prefix.bn}2b`), x);
  x = apply(relu(ctx), x);

  x = apply(conv2d(ctx, filters3, 1, `${prefix.conv}2c`), x);
  return apply(kerasBatchNorm(`${prefix.bn}2c`), x);
}

/** Keras's layer-name prefixes of one block, e.g. res2a_branch / bn2a_branch. */
function blockPrefix(stage: number, block: string): { conv: string; bn: string } {
  return { conv: `res${stage}${block}_branch`, bn: `bn${stage}${block}_branch` };
}

/** Keras's identity_block: the shortcut is the input itself. */
function identityBlock(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  kernelSize: number,
  filters: [number, number, number],
  stage: number,
  block: string,
): tf.SymbolicTensor {
  let x = residualBranch(ctx, input, kernelSize, filters, blockPrefix(stage, block));
  x = apply(tf.layers.add({ name: ctx.names.next('add') }), [x, input]);
  return apply(relu(ctx), x);
}

/** Keras's conv_block: a strided 1x1 conv + BN projects the shortcut. */
function convBlock(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  kernelSize: number,
  filters: [number, number, number],
  stage: number,
  block: string,
  strides = 2,
): tf.SymbolicTensor {
  const prefix = blockPrefix(stage, block);
  let x = residualBranch(ctx, input, kernelSize, filters, prefix, strides);

  let shortcut = apply(conv2d(ctx, filters[2], 1, `${prefix.conv}1`, strides), input);
  shortcut = apply(kerasBatchNorm(`${prefix.bn}1`), shortcut);

  // Same operand order as Keras (add([x, shortcut])): it decides model.layers order,
  // which by-order weight loading depends on.
  x = apply(tf.layers.add({ name: ctx.names.next('add') }), [x, shortcut]);
  return apply(relu(ctx), x);
}

/** Side of the last feature map for an input side (conv1 same/2, pool 3/2 valid, 3 x 1x1/2). */
function finalMapSize(side: number): number {
  let s = Math.ceil(side / 2);
  s = Math.floor((s - 3) / 2) + 1;
  for (const { strides } of STAGES) s = Math.floor((s - 1) / strides) + 1;
  return s;
}

function checkInputShape(inputShape: [number, number, number]): void {
  checkShapeIntegers('resnet50', inputShape);
  const [h, w] = inputShape;
  if (finalMapSize(h) < 7 || finalMapSize(w) < 7) {
    throw new Error(
      `resnet50: input ${h}x${w} is too small; the Keras 2.1 ResNet50's fixed 7x7 avg_pool ` +
        `needs height and width of at least ${RESNET50_MIN_SIZE} (use resnet50AnySize for small images)`,
    );
  }
}

/**
 * keras.applications.ResNet50 of Keras 2.1.x (weights=None), layer for layer, returned
 * uncompiled. With the defaults it maps [N, s, s, c] to [N, 7] softmax probabilities.
 */
export function resnet50(opts: ResNet50Options): tf.LayersModel {
  const { inputShape, pooling = null, head = 'none', headDropout = false } = opts;
  let includeTop = opts.includeTop ?? true;
  let classes = opts.classes ?? NUM_CLASSES;
  checkInputShape(inputShape);
  if (head === 'seed') {
    if (opts.includeTop === false) throw new Error("resnet50: head 'seed' sits on fc1000, so includeTop cannot be false");
    if (opts.classes !== undefined && opts.classes !== 1000) {
      throw new Error(`resnet50: head 'seed' sits on the 1000-way fc1000, so classes must be 1000 (got ${opts.classes})`);
    }
    includeTop = true;
    classes = 1000;
  } else if (head !== 'none') {
    throw new Error(`resnet50: unknown head '${head as string}' (expected 'none' or 'seed')`);
  }
  const ctx = buildContext(opts.seed);

  const imgInput = tf.input({ shape: inputShape, name: 'input_1' });
  let x = apply(conv2d(ctx, 64, 7, 'conv1', 2, 'same'), imgInput);
  x = apply(kerasBatchNorm('bn_conv1'), x);
  x = apply(relu(ctx), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: ctx.names.next('max_pooling2d') }), x);

  for (const { stage, filters, blocks, strides } of STAGES) {
    x = convBlock(ctx, x, 3, filters, stage, blocks[0], strides);
    for (const block of blocks.slice(1)) x = identityBlock(ctx, x, 3, filters, stage, block);
  }

  x = apply(tf.layers.averagePooling2d({ poolSize: 7, name: 'avg_pool' }), x);

  if (includeTop) {
    x = apply(tf.layers.flatten({ name: ctx.names.next('flatten') }), x);
    x = apply(
      tf.layers.dense({
        units: classes,
        activation: 'softmax',
        name: 'fc1000',
        kernelInitializer: ctx.seeds.glorotUniform(),
        biasInitializer: 'zeros',
      }),
      x,
    );
  } else if (pooling === 'avg') {
    x = apply(tf.layers.globalAveragePooling2d({ name: ctx.names.next('global_average_pooling2d') }), x);
  } else if (pooling === 'max') {
    x = apply(tf.layers.globalMaxPooling2d({ name: ctx.names.next('global_max_pooling2d') }), x);
  }

  if (head === 'seed') x = seedHead(ctx, x, headDropout);
  return tf.model({ inputs: imgInput, outputs: x, name: 'resnet50' });
}

/**
 * The original project's head on the 1000-way softmax. Layer names are those a fresh Keras
 * session gives (leaky_re_lu_1, dense_1, ...), so the published file also loads by name
 * when it was saved that way; loading by order never depends on them.
 */
function seedHead(ctx: BuildContext, input: tf.SymbolicTensor, dropout: boolean): tf.SymbolicTensor {
  let x = apply(tf.layers.leakyReLU({ alpha: 0.3, name: ctx.names.next('leaky_re_lu') }), input);
  if (dropout) x = apply(tf.layers.dropout({ rate: 0.3, name: ctx.names.next('dropout') }), x);
  x = apply(
    tf.layers.dense({
      units: 128,
      name: ctx.names.next('dense'),
      kernelInitializer: ctx.seeds.glorotUniform(),
      biasInitializer: 'zeros',
    }),
    x,
  );
  x = apply(tf.layers.leakyReLU({ alpha: 0.3, name: ctx.names.next('leaky_re_lu') }), x);
  if (dropout) x = apply(tf.layers.dropout({ rate: 0.4, name: ctx.names.next('dropout') }), x);
  x = apply(
    tf.layers.dense({
      units: NUM_CLASSES,
      name: ctx.names.next('dense'),
      kernelInitializer: ctx.seeds.glorotUniform(),
      biasInitializer: 'zeros',
    }),
    x,
  );
  return apply(tf.layers.activation({ activation: 'softmax', name: ctx.names.next('activation') }), x);
}
