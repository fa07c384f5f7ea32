/** The options and result of trainResnet50 (src/train.ts), shared with the loop. */
import type * as tf from '@tensorflow/tfjs';
import type { Callback, CustomCallbackArgs } from './callbacks';
import type { DataSource, FacialLike } from '../data/data-source';
import type { LearningRateSchedule } from './schedules';
import type { ModelKind } from '../models/registry';
import type { QuantizeDtype } from '../io/quantize';
import type { RunSettings } from './train-state';

/** Keras-style history returned by trainResnet50. */
export interface TrainHistory {
  history: { loss: number[]; acc: number[]; val_loss: number[]; val_acc: number[]; lr: number[] };
}

/** What trainResnet50 resolves to: the history and the trained model (caller disposes it). */
export interface TrainResult extends TrainHistory {
  model: tf.LayersModel;
  /** True when a resume found the run already finished: nothing was trained or written, and the model holds its final weights. */
  finished?: boolean;
}

/** The data trainResnet50 accepts: a Facial instance, an ImageDataGenerator flow (any DataSource), or a tf.data.Dataset of {xs, ys} batches. */
export type TrainData = FacialLike | DataSource | tf.data.Dataset<tf.TensorContainer>;

/** Options of trainResnet50 (camelCase; the CLI maps the seed's snake_case flags onto them). */
export interface TrainOptions {
  /** 'resnet50' (Keras ResNet50 + the seed's head, >= 197 px, default 200), 'resnet50-anysize' (raghakot, built at the data's size), or a model. */
  model?: ModelKind | tf.LayersModel;
  /** Image side when the data does not say (default 200 for resnet50, 48 for anysize). */
  imageSize?: number;
  /** 'sgd' (the seed: plain SGD, lr 0.01), 'adam' (lr 1e-3), 'momentum' (0.9, lr 0.01), or an optimizer. */
  optimizer?: 'sgd' | 'adam' | 'momentum' | tf.Optimizer;
  learningRate?: number;
  batchSize?: number;
  epochs?: number;
  /**
   * Initial weights: a Keras .h5 (loadKerasWeights, by layer order), a tfjs model folder /
   * model.json, or 'pretrained' (the shipped FER2013 model). When the data names its own classes
   * (loadFaceFolder), a tfjs model brings its own architecture and gets a head for those classes
   * (models/fine-tune.ts withClassHead).
   */
  modelWeights?: string;
  /**
   * Hold the early stages fixed for this many epochs (default 0): `freezeLayers`, else the stem
   * and the first residual stage (models/fine-tune.ts earlyStageLayers says why those).
   */
  freezeEpochs?: number;
  /** Layer names `freezeEpochs` holds fixed (default: earlyStageLayers). */
  freezeLayers?: string[];
  /** Writes `{prefix}_model.json` + `{prefix}_model.weights.bin` and `{prefix}_weights.h5` at the end, as the seed. */
  savePrefix?: string;
  /** 'balanced' = n_samples / (n_classes * count_c) as sklearn, or one weight per class. */
  classWeight?: 'balanced' | number[];
  /** Seeds shuffling and weight initialisation (default: random, recorded in the resume state). */
  seed?: number;
  callbacks?: Array<Callback | CustomCallbackArgs>;
  /** 0 silent, 1 progress bar / per-epoch line. */
  verbose?: number;
  /** Validation data for flows/datasets; for a Facial the validation (PublicTest) split is used. null: none. */
  validationData?: TrainData | null;
  /** Continue from `stateDir` when it holds a state. */
  resume?: boolean;
  /** Where the resume state goes (default `{savePrefix}_state` when savePrefix is set; otherwise none unless resume). */
  stateDir?: string;
  /**
   * Keep the resume state's weights once the run has finished, so a later resume can extend it
   * (more epochs, a longer budget). Default: false for the state under `savePrefix` (only its
   * state.json, a few kB, stays), true for a `stateDir` the caller names.
   */
  keepState?: boolean;
  /** Start a fresh run even though `stateDir` holds one: that state is removed first (without it, refused). */
  force?: boolean;
  /**
   * The settings that shape the run, by flag name (`batch_size`, `size`, `data`, ...): recorded
   * in the resume state; a resume with a different value is refused, naming the flag and both values.
   */
  runSettings?: RunSettings;
  /** Stop cleanly once this many minutes of the run (over all its resumes) are spent; the epoch in progress is validated and saved. */
  timeBudget?: number;
  /** Sets the rate before every batch from the global step (e.g. CosineDecay); 'auto' lengths come from epochs or the time budget. */
  learningRateSchedule?: LearningRateSchedule;
  /** Also write the resume state inside an epoch, every N batches and/or minutes (Keras's BackupAndRestore save_freq). */
  checkpointEvery?: { batches?: number; minutes?: number };
  /** On resume, `learningRate` replaces the state's rate (default: the state's rate is kept and learningRate ignored). */
  learningRateOverride?: boolean;
  /** Weights of the savePrefix model.json as float16 or uint8 (the Keras .h5 and the resume state stay float32). */
  quantize?: QuantizeDtype;
}
