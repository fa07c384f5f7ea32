/**
 * trainResnet50: one training entry point for both model factories (or any model passed in),
 * its options and result. It resolves data, model, optimizer and resume state, then hands
 * over to the loop (training/loop.ts), which never asks which model it trains. The step is
 * training/step.ts: what model.fit's train function does and nothing else.
 */
import * as tf from '@tensorflow/tfjs';
import type { Callback, CustomCallbackArgs } from './training/callbacks';
import { DataSource, FacialLike, fromDataset, fromFacial, isDataset, isDataSource } from './data/data-source';
import { adoptTrainState, findTrainState, readTrainStateMeta } from './training/train-state';
import type { LearningRateSchedule } from './training/schedules';
import { ensureBackend } from './engine/select';
import { modelSpec, ModelKind } from './models/registry';
import type { QuantizeDtype } from './io/quantize';
import { loadInitialWeights } from './io/trained-model';
import { makeOptimizer } from './training/optimizers';
import { runLoop } from './training/loop';

// The pieces of a training, exported here as well: the card's front door for training.
export { getLearningRate, setLearningRate, makeOptimizer } from './training/optimizers';
export { balancedClassWeights } from './training/loss';
export { makeTrainStep, evaluateSource, TrainStepOptions } from './training/step';
export { TrainingDivergedError } from './training/loop';
export { saveWithPrefix } from './io/checkpoint-io';
export { loadInitialWeights } from './io/trained-model';

/** Keras-style history returned by trainResnet50. */
export interface TrainHistory {
  history: { loss: number[]; acc: number[]; val_loss: number[]; val_acc: number[]; lr: number[] };
}

/** What trainResnet50 resolves to: the history and the trained model (caller disposes it). */
export interface TrainResult extends TrainHistory {
  model: tf.LayersModel;
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
  /** Initial weights: a Keras .h5 (loadKerasWeights, by layer order) or a tfjs model folder / model.json. */
  modelWeights?: string;
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

function isFacial(x: unknown): x is FacialLike {
  return !!x && typeof (x as FacialLike).count === 'function' && typeof (x as FacialLike).batch === 'function';
}

function toSource(data: TrainData, split: 'train' | 'validation', batchSize: number, seed: number): DataSource {
  if (isFacial(data)) return fromFacial(data, split, { batchSize, seed, shuffle: split === 'train' });
  if (isDataSource(data)) return data;
  if (isDataset(data)) return fromDataset(data);
  throw new Error('trainResnet50: data must be a Facial, an ImageDataGenerator flow (DataSource) or a tf.data.Dataset');
}

/** The model to train: the caller's, or the registry's kind built at the data's side. */
function buildModel(opts: TrainOptions, dataSize: number | undefined, seed: number): tf.LayersModel {
  const choice = opts.model ?? 'resnet50';
  if (typeof choice !== 'string') return choice;
  const spec = modelSpec(choice);
  return spec.build(dataSize ?? opts.imageSize ?? spec.defaultSize, seed);
}

/**
 * Trains a ResNet-50 (or `opts.model`) on `data`, validating on the validation split
 * (PublicTest) — never on test. Resolves to Keras's history plus the model. On failure the
 * model and optimizer it made are disposed (a caller's own are left alone).
 */
export async function trainResnet50(data: TrainData, opts: TrainOptions = {}): Promise<TrainResult> {
  await ensureBackend();
  const budgetMs = opts.timeBudget !== undefined ? opts.timeBudget * 60_000 : Infinity;
  if (!(budgetMs > 0)) throw new Error(`trainResnet50: timeBudget must be a positive number of minutes, got ${opts.timeBudget}`);
  const epochs = opts.epochs ?? (Number.isFinite(budgetMs) ? Infinity : 1);
  const batchSize = opts.batchSize ?? 32;
  const verbose = opts.verbose ?? 1;
  const stateDir = opts.stateDir ?? (opts.savePrefix ? `${opts.savePrefix}_state` : opts.resume ? 'resnet50_state' : undefined);
  const found = opts.resume && stateDir ? findTrainState(stateDir) : null;
  const resumeFrom = found && stateDir ? adoptTrainState(stateDir, found) : null;
  const log = (m: string) => {
    if (verbose) process.stdout.write(m + '\n');
  };
  if (opts.resume && !resumeFrom) log(`No resume state found in ${stateDir ?? '(no state folder)'}: starting from epoch 1`);
  const resumeMeta = resumeFrom ? readTrainStateMeta(resumeFrom) : null;
  const seed = resumeMeta?.seed ?? opts.seed ?? Math.floor(Math.random() * 2 ** 31);

  const train = toSource(data, 'train', batchSize, seed);
  const valData = opts.validationData !== undefined ? opts.validationData : isFacial(data) && data.count('validation') > 0 ? data : null;
  const val = valData ? toSource(valData, 'validation', batchSize, seed) : null;

  const ownModel = typeof opts.model !== 'object';
  const ownOptimizer = typeof opts.optimizer !== 'object';
  const model = buildModel(opts, train.imageSize, seed);
  let optimizer: tf.Optimizer | null = null;
  try {
    if (opts.modelWeights) await loadInitialWeights(model, opts.modelWeights);
    optimizer = typeof opts.optimizer === 'object' ? opts.optimizer : makeOptimizer(opts.optimizer ?? 'sgd', opts.learningRate);
    const result = await runLoop(train, val, model, optimizer, {
      ...opts,
      epochs,
      batchSize,
      verbose,
      budgetMs,
      stateDir,
      resumeFrom,
      seed,
      log,
    });
    if (ownOptimizer) optimizer.dispose();
    return result;
  } catch (err) {
    if (ownOptimizer) optimizer?.dispose();
    if (ownModel) model.dispose();
    throw err;
  }
}
