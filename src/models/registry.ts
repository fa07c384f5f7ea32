/**
 * The model kinds, each described once: how to build it, its default and smallest input
 * side, how FER2013's 48x48 faces are prepared for it, and the seed's training recipe for it.
 * Training, loading a .h5, the CLI, the examples and bench all read this table, so
 * 'resnet50' means one network everywhere.
 */
import * as tf from '@tensorflow/tfjs';
import { FER_SIZE, NUM_CLASSES } from '../data/emotions';
import { resnet50, RESNET50_MIN_SIZE } from '../resnet50';
import { resnet50AnySize, RESNET50_ANYSIZE_MIN_SIZE } from '../resnet50-anysize';
import type { AugmentationName } from '../data/augmentations';
import type { ResampleFilter } from '../data/resize';

/** The names of the model kinds. */
export type ModelKind = 'resnet50' | 'resnet50-anysize';

/** How FER2013's 48x48 faces are turned into a model's input at a given side. */
export interface InputPreparation {
  /** Side to resize to; undefined at 48 (the faces as stored). */
  resize?: number;
  /** Bytescale each face before resizing, as the seed's scipy imresize did. */
  stretch: boolean;
  /** Keep uint8 faces and prepare per batch (needed above 48: full 200x200 tensors are 5 GiB). */
  compact: boolean;
  /**
   * PIL's filter for shrinking a larger picture's face to this side (predict, the webcam page,
   * fine-tuning's photos). At 48, Lanczos: of PIL's five filters it brings a face enlarged 1.5 to
   * 5 times back closest to its 48x48 original (mean RMS 4.5 grey levels against bilinear's
   * 6.8), and on PublicTest's faces cut that way (scripts/pasted-faces.ts) it cost the long
   * run's epoch 12 0.19 points against its crops where bilinear cost 0.97, and left the shipped
   * model 1.0 above its crops. Elsewhere the seed's imresize, bilinear.
   */
  shrink: ResampleFilter;
}

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

/**
 * The seed's rule, used by training, verify and predict alike: at 48 the faces as stored
 * (no resize, so no stretch); any other side resizes with the bytescale stretch.
 */
export function inputPreparation(size: number): InputPreparation {
  return size === FER_SIZE
    ? { stretch: false, compact: false, shrink: 'lanczos' }
    : { resize: size, stretch: true, compact: true, shrink: 'bilinear' };
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
