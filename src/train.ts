/**
 * The training loop: one loop for both model factories (or any model passed in), driven by
 * Keras-compatible callbacks, with a custom step (`makeTrainStep`) that does what model.fit's
 * train function does — training-mode forward pass, categorical cross-entropy with optional
 * class weights, plus the model's regularisation losses — and nothing else, so it stays the
 * hot path `facial bench` times. Resumable from any batch (see train-state.ts), to a time
 * budget, with per-step learning-rate schedules (schedules.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainingLoss } from './training/loss';
import { Callback, CustomCallbackArgs, Logs, ModelCheckpoint, toCallbacks, TrainingContext } from './training/callbacks';
import { Batch, DataSource, FacialLike, fromDataset, fromFacial, isDataset, isDataSource } from './data/data-source';
import { EpochProgress } from './training/progress';
import { resnet50 } from './resnet50';
import { resnet50AnySize } from './resnet50-anysize';
import { loadModel } from './io/model-io';
import { loadKerasWeights } from './io/keras-h5';
import { saveCheckpoint } from './io/checkpoint-io';
import { adoptTrainState, findTrainState, loadTrainState, readTrainStateMeta, saveTrainState, TrainPosition } from './training/train-state';
import type { LearningRateSchedule } from './training/schedules';
import { ensureBackend } from './engine/select';
import type { QuantizeDtype } from './io/quantize';

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
  model?: 'resnet50' | 'resnet50-anysize' | tf.LayersModel;
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

/** The optimizer's current learning rate (tfjs keeps it as a plain number). */
export function getLearningRate(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

/** Sets the learning rate; SGD/momentum cache -lr as a tensor, so use their setter. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Builds the named optimizer with Keras 2.1's defaults. */
export function makeOptimizer(name: 'sgd' | 'adam' | 'momentum', lr?: number): tf.Optimizer {
  switch (name) {
    case 'sgd': return tf.train.sgd(lr ?? 0.01);
    case 'adam': return tf.train.adam(lr ?? 1e-3, 0.9, 0.999, 1e-7);
    case 'momentum': return tf.train.momentum(lr ?? 0.01, 0.9);
    default: throw new Error(`unknown optimizer '${name as string}' (use sgd, adam or momentum)`);
  }
}

/** sklearn's compute_class_weight('balanced'): n_samples / (n_classes * count_c); absent classes get 1 instead of Infinity. */
export function balancedClassWeights(counts: number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c > 0 ? n / (counts.length * c) : 1));
}

/** Step options. */
export interface TrainStepOptions {
  /** One weight per class, multiplying each sample's loss (Keras class_weight). */
  classWeights?: number[];
}

/**
 * One optimizer step in training mode (BatchNorm batch statistics and moving-average updates,
 * dropout on): mean categorical cross-entropy (class-weighted as Keras: mean(w * ce) / mean(w != 0))
 * plus the model's regularisation losses (e.g. L2 on conv kernels), exactly what model.fit
 * minimises. Returns the batch loss (including regularisation, as Keras reports it) and accuracy.
 */
export function makeTrainStep(model: tf.LayersModel, optimizer: tf.Optimizer, opts: TrainStepOptions = {}):
  (xs: tf.Tensor4D, ys: tf.Tensor2D) => { loss: number; acc: number } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const weights = opts.classWeights ? Float32Array.from(opts.classWeights) : null;
  return (xs, ys) => {
    let acc: tf.Scalar | null = null;
    const loss = optimizer.minimize(() => {
      const out = trainingLoss(model, xs, ys, weights);
      acc = out.acc;
      return out.total;
    }, true, vars);
    const result = { loss: loss!.dataSync()[0], acc: (acc as tf.Scalar | null)!.dataSync()[0] };
    tf.dispose([loss!, acc!]);
    return result;
  };
}

/** Mean loss (with regularisation, as Keras's evaluate) and accuracy of `model` over `source`, inference mode. */
export async function evaluateSource(model: tf.LayersModel, source: DataSource): Promise<{ loss: number; acc: number }> {
  let lossSum = 0, correct = 0, n = 0;
  for await (const { xs, ys } of source.batches(0)) {
    const sums = tf.tidy(() => {
      const probs = model.apply(xs, { training: false }) as tf.Tensor2D;
      return tf.stack([tf.sum(tf.metrics.categoricalCrossentropy(ys, probs)),
        tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), tf.argMax(ys, -1)), 'float32'))]);
    });
    const [l, c] = sums.dataSync();
    sums.dispose();
    n += xs.shape[0]; lossSum += l; correct += c;
    tf.dispose([xs, ys]);
  }
  const regs = model.calculateLosses();
  const reg = regs.reduce((s, r) => s + r.dataSync()[0], 0);
  tf.dispose(regs);
  return { loss: lossSum / Math.max(n, 1) + reg, acc: correct / Math.max(n, 1) };
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

async function buildModel(opts: TrainOptions, dataSize: number | undefined, seed: number): Promise<tf.LayersModel> {
  const choice = opts.model ?? 'resnet50';
  if (typeof choice !== 'string') return choice;
  if (choice === 'resnet50') {
    const size = dataSize ?? opts.imageSize ?? 200;
    // The seed's published 64.53% weights were trained with the head's dropout on.
    return resnet50({ inputShape: [size, size, 1], head: 'seed', headDropout: true, seed });
  }
  if (choice === 'resnet50-anysize') {
    const size = dataSize ?? opts.imageSize ?? 48;
    return resnet50AnySize({ inputShape: [size, size, 1], seed });
  }
  throw new Error(`unknown model '${choice as string}' (use resnet50 or resnet50-anysize)`);
}

/** Loads initial weights: Keras .h5 by layer order, or a tfjs model folder / json of the same architecture. */
export async function loadInitialWeights(model: tf.LayersModel, file: string): Promise<void> {
  if (file.endsWith('.h5')) {
    await loadKerasWeights(model, file);
    return;
  }
  const src = await loadModel(file);
  try {
    const w = src.getWeights();
    if (w.length !== model.weights.length || w.some((t: tf.Tensor, i: number) => !tf.util.arraysEqual(t.shape, model.weights[i].shape as number[]))) {
      throw new Error(`${file}: its weights do not match this model's architecture (${w.length} vs ${model.weights.length} tensors)`);
    }
    model.setWeights(w);
  } finally {
    src.dispose();
  }
}

/** Saves `{prefix}_model.json` (+ `.weights.bin`) and `{prefix}_weights.h5`, atomically. */
export async function saveWithPrefix(model: tf.LayersModel, prefix: string, opts: { quantize?: QuantizeDtype } = {}): Promise<void> {
  await saveCheckpoint(model, `${prefix}_model.json`, opts);
  try {
    await saveCheckpoint(model, `${prefix}_weights.h5`);
  } catch (err) {
    // The tfjs model above is the primary artefact; the Keras copy must not lose it.
    process.stderr.write(`warning: could not write ${prefix}_weights.h5: ${(err as Error).message}\n`);
  }
}

/** Thrown when a batch's loss is NaN or infinite: nothing was written from the diverged weights. */
export class TrainingDivergedError extends Error {
  constructor(message: string, readonly epoch: number, readonly batch: number) { super(message); }
}

/** The run's length in optimizer steps, as far as it is known now (for schedules with 'auto' length). */
function plannedSteps(p: { epochs: number; numBatches: number; step: number; stepsHere: number; msHere: number; elapsedMs: number; budgetMs: number }): number {
  const byEpochs = p.numBatches > 0 && Number.isFinite(p.epochs) ? p.epochs * p.numBatches : Infinity;
  // Measured speed of this process (validation and saves included, since they spend the budget too).
  const byTime = Number.isFinite(p.budgetMs) && p.stepsHere > 0 ? p.step + ((p.budgetMs - p.elapsedMs) * p.stepsHere) / Math.max(p.msHere, 1) : Infinity;
  return Math.max(p.step + 1, Math.round(Math.min(byEpochs, byTime)));
}

/** True when a checkpointEvery setting says a mid-epoch state is due. */
function checkpointDue(every: TrainOptions['checkpointEvery'], batchesSince: number, msSince: number): boolean {
  if (!every) return false;
  return (every.batches !== undefined && batchesSince >= every.batches) || (every.minutes !== undefined && msSince >= every.minutes * 60_000);
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
  const log = (m: string) => { if (verbose) process.stdout.write(m + '\n'); };
  if (opts.resume && !resumeFrom) log(`No resume state found in ${stateDir ?? '(no state folder)'}: starting from epoch 1`);
  const resumeMeta = resumeFrom ? readTrainStateMeta(resumeFrom) : null;
  const seed = resumeMeta?.seed ?? opts.seed ?? Math.floor(Math.random() * 2 ** 31);

  const train = toSource(data, 'train', batchSize, seed);
  const valData = opts.validationData !== undefined ? opts.validationData : isFacial(data) && data.count('validation') > 0 ? data : null;
  const val = valData ? toSource(valData, 'validation', batchSize, seed) : null;

  const ownModel = typeof opts.model !== 'object';
  const ownOptimizer = typeof opts.optimizer !== 'object';
  const model = await buildModel(opts, train.imageSize, seed);
  let optimizer: tf.Optimizer | null = null;
  try {
    if (opts.modelWeights) await loadInitialWeights(model, opts.modelWeights);
    optimizer = typeof opts.optimizer === 'object' ? opts.optimizer : makeOptimizer(opts.optimizer ?? 'sgd', opts.learningRate);
    const result = await runLoop(train, val, model, optimizer, { ...opts, epochs, batchSize, verbose, budgetMs, stateDir, resumeFrom, seed, log });
    if (ownOptimizer) optimizer.dispose();
    return result;
  } catch (err) {
    if (ownOptimizer) optimizer?.dispose();
    if (ownModel) model.dispose();
    throw err;
  }
}

interface LoopSettings extends TrainOptions {
  epochs: number; batchSize: number; verbose: number; budgetMs: number; seed: number;
  stateDir?: string; resumeFrom: string | null; log: (m: string) => void;
}

async function runLoop(train: DataSource, val: DataSource | null, model: tf.LayersModel, optimizer: tf.Optimizer, s: LoopSettings): Promise<TrainResult> {
  const { epochs, verbose, budgetMs, stateDir, seed, log } = s;
  let classWeights: number[] | undefined;
  if (s.classWeight === 'balanced') {
    if (!train.classCounts) throw new Error("classWeight 'balanced' needs class counts, which this data source does not provide; pass an array");
    classWeights = balancedClassWeights(train.classCounts());
  } else if (s.classWeight) {
    classWeights = s.classWeight;
  }
  const stepFn = makeTrainStep(model, optimizer, { classWeights });

  const callbacks = toCallbacks(s.callbacks);
  const ctx: TrainingContext = {
    model, optimizer, verbose, stopTraining: false,
    getLearningRate: () => getLearningRate(optimizer),
    setLearningRate: (lr) => setLearningRate(optimizer, lr),
    log,
  };
  const history: TrainHistory['history'] = { loss: [], acc: [], val_loss: [], val_acc: [], lr: [] };
  for (const cb of callbacks) cb.setContext(ctx);
  for (const cb of callbacks) await cb.onTrainBegin({});

  const pos: TrainPosition = { nextEpoch: 0, nextBatch: 0, step: 0, elapsedMs: 0, epochSums: { loss: 0, acc: 0, seen: 0 } };
  let seq = 0;
  if (s.resumeFrom) {
    const meta = await loadTrainState(s.resumeFrom, model, optimizer);
    Object.assign(pos, { nextEpoch: meta.nextEpoch, nextBatch: meta.nextBatch, step: meta.step, elapsedMs: meta.elapsedMs, epochSums: meta.epochSums });
    seq = meta.seq;
    if (s.learningRate !== undefined && s.learningRateOverride) {
      setLearningRate(optimizer, s.learningRate);
      log(`Resume: learning rate set to ${s.learningRate} (overriding the state's ${meta.learningRate})`);
    } else {
      setLearningRate(optimizer, meta.learningRate);
    }
    Object.assign(history, meta.history);
    meta.callbacks.forEach((st, i) => { if (st !== null && callbacks[i]) callbacks[i].setState(st); });
    log(`Resuming from ${s.resumeFrom} at epoch ${pos.nextEpoch + 1}${pos.nextBatch ? `, batch ${pos.nextBatch + 1}` : ''} (lr ${getLearningRate(optimizer)})`);
  }
  if (stateDir && !s.resumeFrom) adoptTrainState(stateDir, null); // a fresh run: clear killed runs' staging folders

  const save = async (p: TrainPosition) => {
    if (!stateDir) return;
    seq += 1;
    await saveTrainState(stateDir, model, optimizer, {
      ...p, seq, learningRate: getLearningRate(optimizer), seed, history, callbacks: callbacks.map((c) => c.getState()),
    });
  };
  const schedule = s.learningRateSchedule;
  if (schedule?.getConfig().decaySteps === 'auto' && !Number.isFinite(budgetMs) && !(Number.isFinite(epochs) && train.numBatches > 0)) {
    throw new Error("learningRateSchedule: a length of 'auto' needs a time budget, or epochs with a data source of known size");
  }
  const t0 = Date.now();
  const elapsed = () => pos.elapsedMs + (Date.now() - t0);
  const stepsAtStart = pos.step;
  const progress = verbose ? new EpochProgress(epochs) : null;
  let outOfTime = elapsed() >= budgetMs;
  let diverged: { epoch: number; batch: number } | null = null;
  for (let epoch = pos.nextEpoch; epoch < epochs && !ctx.stopTraining && !outOfTime; epoch++) {
    const fromBatch = epoch === pos.nextEpoch ? pos.nextBatch : 0;
    const sums = fromBatch > 0 ? { ...pos.epochSums } : { loss: 0, acc: 0, seen: 0 };
    if (fromBatch === 0) for (const cb of callbacks) await cb.onEpochBegin(epoch, {});
    let epochLr: number | null = fromBatch > 0 ? (pos.epochSums.lr ?? null) : null; // the rate of the epoch's first batch, as Keras logs it
    progress?.start(epoch, train.numBatches, fromBatch);
    let b = fromBatch, lastSave = Date.now(), batchesSinceSave = 0;
    for await (const batch of train.batches(epoch, fromBatch) as AsyncIterable<Batch>) {
      const n = batch.xs.shape[0];
      if (schedule) {
        const planned = plannedSteps({ epochs, numBatches: train.numBatches, step: pos.step, stepsHere: pos.step - stepsAtStart, msHere: Date.now() - t0, elapsedMs: elapsed(), budgetMs });
        setLearningRate(optimizer, schedule.learningRate(pos.step, planned));
      }
      epochLr ??= getLearningRate(optimizer);
      let r: { loss: number; acc: number };
      try {
        for (const cb of callbacks) await cb.onBatchBegin(b, { batch: b, size: n });
        r = stepFn(batch.xs, batch.ys);
      } finally { tf.dispose([batch.xs, batch.ys]); }
      pos.step += 1;
      const batchLogs: Logs = { batch: b, size: n, loss: r.loss, acc: r.acc };
      for (const cb of callbacks) await cb.onBatchEnd(b, batchLogs);
      if (!Number.isFinite(r.loss)) { diverged = { epoch, batch: b }; break; }
      sums.loss += r.loss * n; sums.acc += r.acc * n; sums.seen += n;
      progress?.update(b, n, sums.loss / sums.seen, sums.acc / sums.seen);
      b++; batchesSinceSave++;
      outOfTime = elapsed() >= budgetMs;
      if (ctx.stopTraining || outOfTime) break; // tfjs semantics: checked after every batch
      if (b < train.numBatches && checkpointDue(s.checkpointEvery, batchesSinceSave, Date.now() - lastSave)) {
        await save({ nextEpoch: epoch, nextBatch: b, step: pos.step, elapsedMs: elapsed(), epochSums: { ...sums, lr: epochLr } });
        lastSave = Date.now(); batchesSinceSave = 0;
      }
    }
    if (diverged) break;
    const logs: Logs = { loss: sums.loss / Math.max(sums.seen, 1), acc: sums.acc / Math.max(sums.seen, 1) };
    if (val) {
      const v = await evaluateSource(model, val);
      logs.val_loss = v.loss; logs.val_acc = v.acc;
    }
    logs.lr = epochLr ?? getLearningRate(optimizer);
    for (const cb of callbacks) await cb.onEpochEnd(epoch, logs);
    for (const k of Object.keys(history) as Array<keyof typeof history>) if (logs[k] !== undefined) history[k].push(logs[k]);
    progress?.end(epoch, logs);
    await save({ nextEpoch: epoch + 1, nextBatch: 0, step: pos.step, elapsedMs: elapsed(), epochSums: { loss: 0, acc: 0, seen: 0 } });
  }
  for (const cb of callbacks) await cb.onTrainEnd({});
  if (diverged) {
    const kept = [stateDir && findTrainState(stateDir), ...callbacks.flatMap((c) => (c instanceof ModelCheckpoint && c.lastSaved ? [c.lastSaved] : []))]
      .filter((f): f is string => !!f && fs.existsSync(f));
    throw new TrainingDivergedError(`training diverged: the loss of epoch ${diverged.epoch + 1}, batch ${diverged.batch + 1} is not finite; `
      + `nothing was saved from it${kept.length ? `; the last good model is in ${kept.join(' and ')}` : ' (no earlier checkpoint exists)'}`, diverged.epoch, diverged.batch);
  }
  if (s.savePrefix) await saveWithPrefix(model, s.savePrefix, { quantize: s.quantize });
  return { history, model };
}
