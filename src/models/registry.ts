/**
 * The model kinds, each described once: how to build it, its default and smallest input
 * side and the seed's training recipe for it (how its faces are prepared follows from the side:
 * data/input-preparation.ts).
 * Training, loading a .h5, the CLI, the examples and bench all read this table, so
 * 'resnet50' means one network everywhere.
 */
import * as tf from '@tensorflow/tfjs';
import { FER_SIZE, NUM_CLASSES } from '../data/emotions';
import { resnet50, RESNET50_MIN_SIZE } from '../resnet50';
import { resnet50AnySize, RESNET50_ANYSIZE_MIN_SIZE } from '../resnet50-anysize';
import type { AugmentationName } from '../data/augmentations';

/** The names of the model kinds. */
export type ModelKind = 'resnet50' | 'resnet50-anysize';

/** One row of the table. */
export interface ModelSpec {
  name: ModelKind;
  /** One line for help texts. */
  description: string;
  defaultSize: number;
  minSize: number;
  /** Builds the network at `size` x `size` x 1 with 7 outputs. */
  build(size: number, seed?: number): tf.LayersModel;
  /** The seed's augmentation recipe for it (see data/augmentations.ts). */
  augmentation: AugmentationName;
  /** Where `facial train` writes by default. */
  defaultPrefix: string;
}

/** Every model kind, by name. */
export const MODELS: Record<ModelKind, ModelSpec> = {
  resnet50: {
    name: 'resnet50',
    description: "Keras's ResNet50 with the seed's head (fc1000 softmax, LeakyReLU, Dense 128, Dense 7), >= 197 px",
    defaultSize: 200,
    minSize: RESNET50_MIN_SIZE,
    // Dropout in the head as the seed trained its published weights; it has no weights and is
    // off at inference, so this is also the network a .h5 file is loaded into.
    build: (size, seed) => resnet50({ inputShape: [size, size, 1], head: 'seed', headDropout: true, seed }),
    augmentation: 'shear-zoom-flip',
    defaultPrefix: 'resnet50',
  },
  'resnet50-anysize': {
    name: 'resnet50-anysize',
    description: "raghakot's any-size ResNet-50, >= 32 px",
    defaultSize: FER_SIZE,
    minSize: RESNET50_ANYSIZE_MIN_SIZE,
    build: (size, seed) => resnet50AnySize({ inputShape: [size, size, 1], classes: NUM_CLASSES, seed }),
    augmentation: 'shift-flip',
    defaultPrefix: 'resnet50_48',
  },
};

/** The names, for messages. */
export const MODEL_KINDS = Object.keys(MODELS) as ModelKind[];

/** True for a known model kind. */
export function isModelKind(x: unknown): x is ModelKind {
  return typeof x === 'string' && x in MODELS;
}

/** The spec of `name`; an error naming the known kinds otherwise. */
export function modelSpec(name: string, flag = 'model'): ModelSpec {
  if (!isModelKind(name)) throw new Error(`${flag}: unknown model '${name}' (use ${MODEL_KINDS.join(' or ')})`);
  return MODELS[name];
}
