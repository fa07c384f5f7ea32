/**
 * trainResnet50: one training entry point for both model factories (or any model passed in),
 * its options and result. It resolves data, model, optimizer and resume state, then hands
 * over to the loop (training/loop.ts), which never asks which model it trains. The step is
 * training/step.ts: what model.fit's train function does and nothing else.
 */
import * as tf from '@tensorflow/tfjs';
import { DataSource, FacialLike, fromDataset, fromFacial, isDataset, isDataSource } from './data/data-source';
import { adoptTrainState, findTrainState, readTrainStateMeta } from './training/train-state';
import { ensureBackend } from './engine/select';
import { modelSpec } from './models/registry';
import { loadInitialWeights } from './io/trained-model';
import { makeOptimizer } from './training/optimizers';
import { runLoop } from './training/loop';
import type { TrainData, TrainOptions, TrainResult } from './training/options';

// The pieces of a training, exported here as well: the card's front door for training.
export { getLearningRate, setLearningRate, makeOptimizer } from './training/optimizers';
export { balancedClassWeights } from './training/loss';
export { makeTrainStep, evaluateSource, TrainStepOptions } from './training/step';
export { DeviceFailedError, TrainingDivergedError } from './training/loop';
export { saveWithPrefix } from './io/checkpoint-io';
export { loadInitialWeights } from './io/trained-model';
export { TrainHistory, TrainResult, TrainData, TrainOptions } from './training/options';

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
