/**
 * The seed's training settings, as data: its two augmentation recipes, its ReduceLROnPlateau,
 * and its three training scripts as presets of trainOnFer2013 (examples/train_*.ts run them).
 */
import type { ImageDataGeneratorConfig } from '../data/image-generator';
import type { ReduceLROnPlateauConfig } from './callbacks';
import type { Fer2013TrainOptions } from './fer2013-run';

/** The names of the seed's augmentation recipes. */
export type AugmentationName = 'shift-flip' | 'shear-zoom-flip';

/** The seed's two augmentation recipes. */
export const AUGMENTATIONS: Record<AugmentationName, ImageDataGeneratorConfig> = {
  /** train_resnet_imgsize48.py */
  'shift-flip': { widthShiftRange: 0.1, heightShiftRange: 0.1, horizontalFlip: true },
  /** train_resnet50_imagegen.py (shear in degrees here; see data/image-generator.ts) */
  'shear-zoom-flip': { shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true },
};

/** True for a recipe name. */
export function isAugmentationName(x: unknown): x is AugmentationName {
  return typeof x === 'string' && x in AUGMENTATIONS;
}

/** train_resnet_imgsize48.py's ReduceLROnPlateau. */
export const SEED_PLATEAU: ReduceLROnPlateauConfig = { factor: Math.sqrt(0.1), patience: 5, minLr: 0.5e-6, verbose: 1 };

/** The seed's three training scripts. */
export const SEED_RECIPES: Record<'train_resnet50' | 'train_resnet50_imagegen' | 'train_resnet50_imgsize48', Fer2013TrainOptions> = {
  /** Keras ResNet50 + the seed's head at 200x200, plain SGD 0.01, batch 50, 30 epochs, no augmentation. */
  train_resnet50: {
    model: 'resnet50',
    size: 200,
    optimizer: 'sgd',
    learningRate: 0.01,
    batchSize: 50,
    epochs: 30,
    augment: null,
    savePrefix: 'resnet50',
  },
  /** The same with shear 0.2 + zoom 0.2 + horizontal flip. */
  train_resnet50_imagegen: {
    model: 'resnet50',
    size: 200,
    optimizer: 'sgd',
    learningRate: 0.01,
    batchSize: 50,
    epochs: 50,
    augment: 'shear-zoom-flip',
    savePrefix: 'resnet50_imagegen',
  },
  /** raghakot's ResNet-50 at 48x48, Adam 1e-3, batch 100, 200 epochs, shift 0.1 + flip, ReduceLROnPlateau. */
  train_resnet50_imgsize48: {
    model: 'resnet50-anysize',
    size: 48,
    optimizer: 'adam',
    learningRate: 1e-3,
    batchSize: 100,
    epochs: 200,
    augment: 'shift-flip',
    schedule: 'plateau',
    savePrefix: 'resnet50_48',
  },
};
