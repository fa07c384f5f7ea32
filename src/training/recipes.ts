/**
 * The seed's training settings, as data: its ReduceLROnPlateau and its three training scripts
 * as presets of trainOnFer2013 (examples/train_*.ts run them). The augmentation recipes they
 * name are in data/augmentations.ts.
 */
import type { AugmentationName } from '../data/augmentations';
import type { ReduceLROnPlateauConfig } from './callbacks';
import type { ModelKind } from '../models/registry';
import type { QuantizeDtype } from '../io/quantize';

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
    // The seed read this one from `facial preprocess`'s class folders.
    data: 'facial_imgs',
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

/** Options of trainOnFer2013 (the CLI maps `facial train`'s flags onto them). */
export interface Fer2013TrainOptions {
  model: ModelKind;
  /** Image side (default: the model kind's). */
  size?: number;
  /** FER2013 CSV or a folder of class folders (default fer2013/fer2013.csv, else the embedded sample). */
  data?: string;
  /** Default 30, or unbounded under a time budget. */
  epochs?: number;
  /** At most this many rows per split (CSV data). */
  limit?: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam' | 'momentum';
  learningRate?: number;
  /** Default: the model kind's (resnet50, resnet50_48). */
  savePrefix?: string;
  modelWeights?: string;
  classWeight?: 'balanced';
  seed?: number;
  resume?: boolean;
  /** Start a fresh run even though the prefix holds one (its state is removed first); without it, refused. */
  force?: boolean;
  /** Keep the resume state's weights when the run finishes, so it can be extended later (default: only state.json stays). */
  keepState?: boolean;
  /** A recipe, true for the model kind's own, null/false for none. */
  augment?: AugmentationName | boolean | null;
  /** 'plateau': the seed's ReduceLROnPlateau; 'cosine': CosineDecay over the planned steps. */
  schedule?: 'cosine' | 'plateau';
  /** Linear warm-up steps of the cosine schedule. */
  warmupSteps?: number;
  /** Score the three splits at the end (default true for CSV data). */
  evaluate?: boolean;
  verbose?: number;
  /** Minutes (over all resumes). */
  timeBudget?: number;
  checkpointEvery?: { minutes?: number; batches?: number };
  /** What P_best/ keeps the best of (default val_loss). */
  monitor?: string;
  /** Weights of P_model.json and P_best/ as float16 or uint8. */
  quantize?: QuantizeDtype;
  /** Where messages go (default stdout). */
  log?: (message: string) => void;
  /** A folder of your own photos (not `facial preprocess`'s train_dir/ layout): the fraction held out when it has no validation/ (default 0.2). */
  validationSplit?: number;
  /** A folder of your own photos: find the face in each (default true); false for folders of face crops. */
  detect?: boolean;
  /** Hold the early stages fixed for this many epochs (fine-tuning; see models/fine-tune.ts earlyStageLayers). */
  freezeEpochs?: number;
}
