/**
 * trainResnet50: one training entry point for both model factories (or any model passed in),
 * its options and result. It resolves data, model, optimizer and resume state, then hands
 * over to the loop (training/loop.ts), which never asks which model it trains. The step is
 * training/step.ts: what model.fit's train function does and nothing else.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { DataSource, FacialLike, fromDataset, fromFacial, isDataset, isDataSource } from './data/data-source';
import { adoptTrainState, describeTrainState, loadTrainState, planResume, removeTrainState, TrainStateMeta } from './training/train-state';
import { ensureBackend } from './engine/select';
import { lockPrefix } from './files/lock';
import { modelSpec } from './models/registry';
import { isKerasWeightsFile, loadInitialWeights } from './io/trained-model';
import { loadModel } from './io/model-io';
import { resolveModelWeights } from './io/pretrained';
import { withClassHead } from './models/fine-tune';
import { makeOptimizer } from './training/optimizers';
import { checkWarmup, runLoop } from './training/loop';
import type { TrainData, TrainHistory, TrainOptions, TrainResult } from './training/options';

// What trainResnet50 takes, returns and throws: the rest of training is in src/training/ and src/index.ts.
export { DeviceFailedError, TrainingDivergedError, TrainingInterruptedError } from './training/loop';
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
 * The model a run starts from, before any resume state: built (or the caller's) with
 * `opts.modelWeights` loaded. When the data names its classes (a folder of your own photos), a
 * tfjs model in `modelWeights` brings its own architecture, and the model gets a head for those
 * classes unless it already answers with them (models/fine-tune.ts withClassHead).
 */
async function startingModel(
  opts: TrainOptions,
  classNames: readonly string[] | undefined,
  dataSize: number | undefined,
  seed: number,
): Promise<tf.LayersModel> {
  const weights = opts.modelWeights === undefined ? undefined : resolveModelWeights(opts.modelWeights);
  if (classNames && weights && typeof opts.model !== 'object' && !isKerasWeightsFile(weights)) {
    const model = await loadModel(weights);
    const side = model.inputs[0].shape[1];
    const want = dataSize ?? opts.imageSize;
    if (want !== undefined && side !== want) {
      model.dispose();
      throw new Error(
        `--model_weights ${opts.modelWeights}: the model's input is ${side}x${side}, but the data is prepared at ${want}x${want} (--size)`,
      );
    }
    return withClassHead(model, classNames, seed);
  }
  const model = buildModel(opts, dataSize, seed);
  try {
    if (weights) await loadInitialWeights(model, weights);
  } catch (err) {
    if (typeof opts.model !== 'object') model.dispose();
    throw err;
  }
  return classNames ? withClassHead(model, classNames, seed) : model;
}

/**
 * A resume of a run that is already finished: nothing is trained or written. The result holds
 * the run's history and its final model: the state's weights when they were kept, else the
 * saved `{savePrefix}_model.json`.
 */
async function finishedRun(
  dir: string,
  meta: TrainStateMeta,
  opts: TrainOptions,
  classNames: readonly string[] | undefined,
  seed: number,
  log: (m: string) => void,
): Promise<TrainResult> {
  const finalModel = opts.savePrefix ? `${opts.savePrefix}_model.json` : null;
  const model = await startingModel(opts, classNames, opts.imageSize, seed);
  const own = typeof opts.model !== 'object';
  try {
    if (!meta.weightsRemoved) {
      const optimizer = typeof opts.optimizer === 'object' ? opts.optimizer : makeOptimizer(opts.optimizer ?? 'sgd');
      try {
        await loadTrainState(dir, model, optimizer);
      } finally {
        if (optimizer !== opts.optimizer) optimizer.dispose();
      }
    } else if (finalModel && fs.existsSync(finalModel)) {
      await loadInitialWeights(model, finalModel);
    } else if (own) {
      throw new Error(`${dir}: the run is finished, but its weights were not kept and ${finalModel ?? 'no final model'} is missing`);
    }
  } catch (err) {
    if (own) model.dispose();
    throw err;
  }
  const extend = meta.weightsRemoved ? ' (its weights were not kept, so it cannot be extended; --keep_state keeps them)' : '';
  log(
    `The run in ${dir} is ${describeTrainState({ ...meta, finished: true })}: nothing to do${extend}${finalModel ? `; its model is ${finalModel}` : ''}`,
  );
  const history: TrainHistory['history'] = { loss: [], acc: [], val_loss: [], val_acc: [], lr: [], ...meta.history };
  return { history, model, finished: true };
}

/**
 * Trains a ResNet-50 (or `opts.model`) on `data`, validating on the validation split
 * (PublicTest) — never on test. Resolves to Keras's history plus the model. On failure the
 * model and optimizer it made are disposed (a caller's own are left alone). The save prefix
 * (else the state folder) is locked for the call: another process training there is refused.
 */
export async function trainResnet50(data: TrainData, opts: TrainOptions = {}): Promise<TrainResult> {
  await ensureBackend();
  const lockName = opts.savePrefix ?? opts.stateDir ?? (opts.resume ? 'resnet50_state' : undefined);
  const release = lockName ? lockPrefix(lockName) : null;
  try {
    return await trainUnderLock(data, opts);
  } finally {
    release?.();
  }
}

async function trainUnderLock(data: TrainData, opts: TrainOptions): Promise<TrainResult> {
  const budgetMs = opts.timeBudget !== undefined ? opts.timeBudget * 60_000 : Infinity;
  if (!(budgetMs > 0)) throw new Error(`trainResnet50: timeBudget must be a positive number of minutes, got ${opts.timeBudget}`);
  const epochs = opts.epochs ?? (Number.isFinite(budgetMs) ? Infinity : 1);
  const batchSize = opts.batchSize ?? 32;
  const verbose = opts.verbose ?? 1;
  const stateDir = opts.stateDir ?? (opts.savePrefix ? `${opts.savePrefix}_state` : opts.resume ? 'resnet50_state' : undefined);
  const keepState = opts.keepState ?? opts.stateDir !== undefined;
  const plan = planResume(stateDir, {
    resume: opts.resume,
    force: opts.force,
    epochs,
    budgetMs,
    given: { seed: opts.seed, ...opts.runSettings },
  });
  const resumeFrom = plan.found && stateDir ? adoptTrainState(stateDir, plan.found) : null;
  const log = (m: string) => {
    if (verbose) process.stdout.write(m + '\n');
  };
  if (opts.resume && !resumeFrom) log(`No resume state found in ${stateDir ?? '(no state folder)'}: starting from epoch 1`);
  const resumeMeta = plan.meta;
  const seed = resumeMeta?.seed ?? opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (resumeFrom && resumeMeta && plan.finished) {
    return finishedRun(resumeFrom, resumeMeta, opts, isDataSource(data) ? data.classNames : undefined, seed, log);
  }

  const train = toSource(data, 'train', batchSize, seed);
  checkWarmup(opts.learningRateSchedule, epochs, train.numBatches);
  const valData = opts.validationData !== undefined ? opts.validationData : isFacial(data) && data.count('validation') > 0 ? data : null;
  const val = valData ? toSource(valData, 'validation', batchSize, seed) : null;

  const ownModel = typeof opts.model !== 'object';
  const ownOptimizer = typeof opts.optimizer !== 'object';
  const model = await startingModel(opts, train.classNames, train.imageSize, seed);
  let optimizer: tf.Optimizer | null = null;
  try {
    optimizer = typeof opts.optimizer === 'object' ? opts.optimizer : makeOptimizer(opts.optimizer ?? 'sgd', opts.learningRate);
    // Before any callback writes: the log beside a replaced state must not outlive it.
    if (plan.replaces && stateDir) removeTrainState(stateDir);
    const result = await runLoop(train, val, model, optimizer, {
      ...opts,
      epochs,
      batchSize,
      verbose,
      budgetMs,
      stateDir,
      resumeFrom,
      keepState,
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
