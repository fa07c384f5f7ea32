/**
 * The training loop behind trainResnet50: it never asks which model it trains. Epochs run
 * from a resume position (any batch), the learning rate follows a per-step schedule whose
 * length may be planned from a time budget, callbacks see every Keras hook through a
 * CallbackList, and a non-finite loss stops the run before anything is written from it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainHistory, TrainOptions, TrainResult } from './options';
import { DataSource, toBatch } from '../data/data-source';
import { saveWithPrefix } from '../io/checkpoint-io';
import { CallbackList, Logs, ModelCheckpoint, toCallbacks, TrainingContext } from './callbacks';
import { ProgressCallback } from './progress';
import { balancedClassWeights } from './loss';
import { getLearningRate, resetOptimizerState, setLearningRate } from './optimizers';
import { evaluateSource, makeTrainStep } from './step';
import { adoptTrainState, findTrainState, finishTrainState, loadTrainState, saveTrainState, TrainPosition } from './train-state';
import { batchLimitMessage, capability, deviceErrorText } from '../engine/capabilities';
import { earlyStageLayers, freezeLayers } from '../models/fine-tune';

/** Thrown when a batch's loss is NaN or infinite: nothing was written from the diverged weights. */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    readonly epoch: number,
    readonly batch: number,
  ) {
    super(message);
  }
}

/** Thrown when the device (WebGPU) reported an error during a batch, e.g. out of memory: nothing was written from it. */
export class DeviceFailedError extends Error {
  constructor(
    message: string,
    readonly epoch: number,
    readonly batch: number,
    readonly deviceError: string,
  ) {
    super(message);
  }
}

/** The run's length in optimizer steps, as far as it is known now (for schedules with 'auto' length). */
function plannedSteps(p: {
  epochs: number;
  numBatches: number;
  step: number;
  stepsHere: number;
  msHere: number;
  elapsedMs: number;
  budgetMs: number;
}): number {
  const byEpochs = p.numBatches > 0 && Number.isFinite(p.epochs) ? p.epochs * p.numBatches : Infinity;
  // Measured speed of this process (validation and saves included, since they spend the budget too).
  const byTime =
    Number.isFinite(p.budgetMs) && p.stepsHere > 0 ? p.step + ((p.budgetMs - p.elapsedMs) * p.stepsHere) / Math.max(p.msHere, 1) : Infinity;
  return Math.max(p.step + 1, Math.round(Math.min(byEpochs, byTime)));
}

/**
 * Refuses a warm-up as long as the run (known from its epochs): the rate would stay below its
 * target to the end. Called before anything is written. (Under a time budget alone the length
 * is an estimate: the loop warns once the speed is known.)
 */
export function checkWarmup(schedule: TrainOptions['learningRateSchedule'], epochs: number, numBatches: number): void {
  const warmup = Number(schedule?.getConfig().warmupSteps ?? 0);
  const stepsByEpochs = Number.isFinite(epochs) ? epochs * numBatches : Infinity;
  if (warmup > 0 && stepsByEpochs > 0 && warmup >= stepsByEpochs) {
    throw new Error(
      `--warmup ${warmup} (warmupSteps) is not shorter than the run's ${stepsByEpochs} planned steps (${epochs} epochs of ${numBatches} batches): the rate would never leave the warm-up`,
    );
  }
}

/** True when a checkpointEvery setting says a mid-epoch state is due. */
function checkpointDue(every: TrainOptions['checkpointEvery'], batchesSince: number, msSince: number): boolean {
  if (!every) return false;
  return (
    (every.batches !== undefined && batchesSince >= every.batches) || (every.minutes !== undefined && msSince >= every.minutes * 60_000)
  );
}

/** What trainResnet50 resolved before handing over to the loop. */
export interface LoopSettings extends TrainOptions {
  epochs: number;
  batchSize: number;
  verbose: number;
  budgetMs: number;
  seed: number;
  stateDir?: string;
  resumeFrom: string | null;
  /** Keep the state's weights when the run finishes (else only its state.json stays). */
  keepState: boolean;
  log: (m: string) => void;
}

/** Thrown after Ctrl-C (SIGINT): the batch in progress was finished and the resume state written. */
export class TrainingInterruptedError extends Error {
  /** The exit status of a process stopped by SIGINT (128 + 2), which the command line exits with. */
  readonly exitCode = 130;
}

/** Ctrl-C while training: the first asks the loop to stop after its batch, a second stops at once. */
interface InterruptWatch {
  readonly requested: boolean;
  stop(): void;
}

function watchInterrupt(): InterruptWatch {
  let requested = false;
  const onSigint = () => {
    if (requested) {
      process.stderr.write('facial: interrupted again: stopping at once; the last resume state written is kept\n');
      process.exit(130);
    }
    requested = true;
    process.stderr.write(
      'facial: interrupted: finishing the batch in progress and writing the resume state (Ctrl-C again to stop at once)\n',
    );
  };
  process.on('SIGINT', onSigint);
  return {
    get requested() {
      return requested;
    },
    stop: () => process.off('SIGINT', onSigint),
  };
}

/**
 * Runs epochs from the resume position: the step, the schedule, callbacks at every hook,
 * mid-epoch and epoch-end resume states, validation, and the final save. With a state folder,
 * Ctrl-C stops after the batch in progress with the state written (TrainingInterruptedError)
 * instead of losing everything since the last checkpoint.
 */
export async function runLoop(
  train: DataSource,
  val: DataSource | null,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  s: LoopSettings,
): Promise<TrainResult> {
  const interrupt = s.stateDir ? watchInterrupt() : null;
  try {
    return await runEpochs(train, val, model, optimizer, s, interrupt);
  } finally {
    interrupt?.stop();
  }
}

async function runEpochs(
  train: DataSource,
  val: DataSource | null,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  s: LoopSettings,
  interrupt: InterruptWatch | null,
): Promise<TrainResult> {
  const { epochs, verbose, budgetMs, stateDir, seed, log } = s;
  let classWeights: number[] | undefined;
  if (s.classWeight === 'balanced') {
    if (!train.classCounts)
      throw new Error("classWeight 'balanced' needs class counts, which this data source does not provide; pass an array");
    classWeights = balancedClassWeights(await train.classCounts());
  } else if (s.classWeight) {
    classWeights = s.classWeight;
  }
  // Fine-tuning's --freeze: the early stages are held fixed in the first epochs (the step is
  // rebuilt when that changes; a resume decides it from the epoch alone, so it repeats exactly).
  const freezeEpochs = s.freezeEpochs ?? 0;
  const frozenLayers = freezeEpochs > 0 ? (s.freezeLayers ?? earlyStageLayers(model)) : [];
  let stepFrozen: boolean | null = null;
  let stepFn: ReturnType<typeof makeTrainStep> | null = null;
  const stepFor = (epoch: number) => {
    const frozen = epoch < freezeEpochs && frozenLayers.length > 0;
    if (!stepFn || frozen !== stepFrozen) {
      const vars = freezeLayers(model, frozenLayers, frozen);
      stepFn = makeTrainStep(model, optimizer, { classWeights, frozen: frozen ? vars : undefined });
      if (frozen)
        log(
          `Epochs 1-${freezeEpochs}: ${frozenLayers.length} early layers held fixed (${frozenLayers[0]} .. ${frozenLayers[frozenLayers.length - 1]})`,
        );
      stepFrozen = frozen;
    }
    return stepFn;
  };

  // The caller's callbacks first (their order indexes the resume state), progress last.
  const own = toCallbacks(s.callbacks);
  const callbacks = new CallbackList(verbose ? [...own, new ProgressCallback()] : own);
  const ctx: TrainingContext = {
    model,
    optimizer,
    verbose,
    stopTraining: false,
    getLearningRate: () => getLearningRate(optimizer),
    setLearningRate: (lr) => setLearningRate(optimizer, lr),
    log,
    params: { epochs, steps: train.numBatches },
  };
  const history: TrainHistory['history'] = { loss: [], acc: [], val_loss: [], val_acc: [], lr: [] };
  callbacks.setContext(ctx);
  await callbacks.onTrainBegin();

  const { pos, seq: restoredSeq } = await restorePosition(s, model, optimizer, callbacks, history);
  let seq = restoredSeq;

  const save = async (p: TrainPosition) => {
    if (!stateDir) return;
    seq += 1;
    await saveTrainState(stateDir, model, optimizer, {
      ...p,
      seq,
      learningRate: getLearningRate(optimizer),
      seed,
      history,
      callbacks: callbacks.getState(),
      ...(s.runSettings ? { settings: s.runSettings } : {}),
    });
  };
  const t0 = Date.now();
  const elapsed = () => pos.elapsedMs + (Date.now() - t0);
  const stepsAtStart = pos.step;
  const applySchedule = scheduleRates(s, train.numBatches, optimizer, () => ({
    step: pos.step,
    stepsHere: pos.step - stepsAtStart,
    msHere: Date.now() - t0,
    elapsedMs: elapsed(),
  }));
  let outOfTime = elapsed() >= budgetMs;
  // A batch whose result cannot be kept: its loss is not finite, or the device failed during it.
  let diverged: { epoch: number; batch: number; deviceError: string | null } | null = null;
  // A device with a buffer size limit (WebGPU) would fail deep inside a kernel; say what fits instead.
  const batchLimit = capability('batchLimit')?.(model);
  for (let epoch = pos.nextEpoch; epoch < epochs && !ctx.stopTraining && !outOfTime; epoch++) {
    const fromBatch = epoch === pos.nextEpoch ? pos.nextBatch : 0;
    const step = stepFor(epoch);
    if (epoch === freezeEpochs && fromBatch === 0 && frozenLayers.length > 0) {
      // Released layers start with a fresh optimizer, as Keras recompiles; decided by the epoch
      // and batch alone, so a run resumed at this epoch's start resets exactly as the first did.
      await resetOptimizerState(optimizer);
      log(`Epoch ${epoch + 1}: every layer trains from here, with a fresh optimizer state (moments and step count)`);
    }
    const sums = fromBatch > 0 ? { ...pos.epochSums } : { loss: 0, acc: 0, seen: 0 };
    // As Keras's BackupAndRestore, a resumed epoch begins again for the callbacks, told where it resumes.
    await callbacks.onEpochBegin(
      epoch,
      fromBatch > 0 ? { initialBatch: fromBatch, seen: sums.seen, lossSum: sums.loss, accSum: sums.acc } : {},
    );
    let epochLr: number | null = fromBatch > 0 ? (pos.epochSums.lr ?? null) : null; // the rate of the epoch's first batch, as Keras logs it
    let b = fromBatch,
      lastSave = Date.now(),
      batchesSinceSave = 0;
    for await (const item of train.batches(epoch, fromBatch)) {
      const batch = toBatch(item);
      const n = batch.xs.shape[0];
      if (batchLimit && n > batchLimit.maxBatch) {
        tf.dispose([batch.xs, batch.ys]);
        throw new Error(batchLimitMessage(n, batchLimit, tf.getBackend()));
      }
      applySchedule();
      epochLr ??= getLearningRate(optimizer);
      let r: { loss: number; acc: number };
      try {
        await callbacks.onBatchBegin(b, { batch: b, size: n });
        r = await step(batch.xs, batch.ys);
      } finally {
        tf.dispose([batch.xs, batch.ys]);
      }
      pos.step += 1;
      const batchLogs: Logs = { batch: b, size: n, loss: r.loss, acc: r.acc };
      await callbacks.onBatchEnd(b, batchLogs);
      const deviceError = capability('takeDeviceError')?.() ?? null;
      if (deviceError || !Number.isFinite(r.loss)) {
        diverged = { epoch, batch: b, deviceError };
        break;
      }
      sums.loss += r.loss * n;
      sums.acc += r.acc * n;
      sums.seen += n;
      b++;
      batchesSinceSave++;
      if (interrupt?.requested) {
        await save({ nextEpoch: epoch, nextBatch: b, step: pos.step, elapsedMs: elapsed(), epochSums: { ...sums, lr: epochLr } });
        throw new TrainingInterruptedError(
          `interrupted after batch ${b} of epoch ${epoch + 1}: the resume state is in ${stateDir}; continue with --resume`,
        );
      }
      outOfTime = elapsed() >= budgetMs;
      if (ctx.stopTraining || outOfTime) break; // tfjs semantics: checked after every batch
      if (b < train.numBatches && checkpointDue(s.checkpointEvery, batchesSinceSave, Date.now() - lastSave)) {
        await save({ nextEpoch: epoch, nextBatch: b, step: pos.step, elapsedMs: elapsed(), epochSums: { ...sums, lr: epochLr } });
        lastSave = Date.now();
        batchesSinceSave = 0;
      }
    }
    if (diverged) break;
    const logs: Logs = { loss: sums.loss / Math.max(sums.seen, 1), acc: sums.acc / Math.max(sums.seen, 1) };
    if (val) {
      const v = await evaluateSource(model, val);
      logs.val_loss = v.loss;
      logs.val_acc = v.acc;
    }
    logs.lr = epochLr ?? getLearningRate(optimizer);
    await callbacks.onEpochEnd(epoch, logs);
    for (const k of Object.keys(history) as Array<keyof typeof history>) if (logs[k] !== undefined) history[k].push(logs[k]);
    await save({ nextEpoch: epoch + 1, nextBatch: 0, step: pos.step, elapsedMs: elapsed(), epochSums: { loss: 0, acc: 0, seen: 0 } });
  }
  freezeLayers(model, frozenLayers, false); // the model goes back as a model for inference and further training
  await callbacks.onTrainEnd();
  if (diverged) throw divergedError(diverged, stateDir, callbacks);
  if (s.savePrefix) await saveWithPrefix(model, s.savePrefix, { quantize: s.quantize });
  // Finished: the state's weights (hundreds of MB) can only serve to extend the run.
  if (stateDir && fs.existsSync(path.join(stateDir, 'state.json'))) finishTrainState(stateDir, s.keepState);
  return { history, model };
}

/** Where a run resumes (or begins): its position, and the sequence number of its last state. */
async function restorePosition(
  s: LoopSettings,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  callbacks: CallbackList,
  history: TrainHistory['history'],
): Promise<{ pos: TrainPosition; seq: number }> {
  const pos: TrainPosition = { nextEpoch: 0, nextBatch: 0, step: 0, elapsedMs: 0, epochSums: { loss: 0, acc: 0, seen: 0 } };
  if (!s.resumeFrom) {
    if (s.stateDir) adoptTrainState(s.stateDir, null); // a fresh run: clear killed runs' staging folders
    return { pos, seq: 0 };
  }
  const meta = await loadTrainState(s.resumeFrom, model, optimizer);
  Object.assign(pos, {
    nextEpoch: meta.nextEpoch,
    nextBatch: meta.nextBatch,
    step: meta.step,
    elapsedMs: meta.elapsedMs,
    epochSums: meta.epochSums,
  });
  if (s.learningRate !== undefined && s.learningRateOverride) {
    setLearningRate(optimizer, s.learningRate);
    s.log(`Resume: learning rate set to ${s.learningRate} (overriding the state's ${meta.learningRate})`);
  } else {
    setLearningRate(optimizer, meta.learningRate);
  }
  Object.assign(history, meta.history);
  callbacks.setState(meta.callbacks);
  s.log(
    `Resuming from ${s.resumeFrom} at epoch ${pos.nextEpoch + 1}${pos.nextBatch ? `, batch ${pos.nextBatch + 1}` : ''} (lr ${getLearningRate(optimizer)})`,
  );
  return { pos, seq: meta.seq };
}

/**
 * The per-step learning rate of `s.learningRateSchedule` (a no-op without one): called before
 * each batch with where the run is, it sets the rate for that step over the run's planned length.
 */
function scheduleRates(
  s: LoopSettings,
  numBatches: number,
  optimizer: tf.Optimizer,
  where: () => { step: number; stepsHere: number; msHere: number; elapsedMs: number },
): () => void {
  const schedule = s.learningRateSchedule;
  if (!schedule) return () => undefined;
  if (schedule.getConfig().decaySteps === 'auto' && !Number.isFinite(s.budgetMs) && !(Number.isFinite(s.epochs) && numBatches > 0)) {
    throw new Error("learningRateSchedule: a length of 'auto' needs a time budget, or epochs with a data source of known size");
  }
  const warmup = Number(schedule.getConfig().warmupSteps ?? 0);
  let warnedWarmup = false;
  return () => {
    const w = where();
    const planned = plannedSteps({ epochs: s.epochs, numBatches, budgetMs: s.budgetMs, ...w });
    setLearningRate(optimizer, schedule.learningRate(w.step, planned));
    // Under a time budget the length is an estimate: judge it once it has settled.
    if (!warnedWarmup && warmup > 0 && w.stepsHere >= 20 && planned <= warmup) {
      warnedWarmup = true;
      s.log(
        `warning: --warmup ${warmup} is longer than the ${planned} steps the time budget allows at this speed: the run will end in warm-up`,
      );
    }
  };
}

/** The error for a batch whose result could not be kept, naming it and the files that still hold the last good model. */
function divergedError(
  diverged: { epoch: number; batch: number; deviceError: string | null },
  stateDir: string | undefined,
  callbacks: CallbackList,
): Error {
  const kept = [
    stateDir && findTrainState(stateDir),
    ...callbacks.callbacks.flatMap((c) => (c instanceof ModelCheckpoint && c.lastSaved ? [c.lastSaved] : [])),
  ].filter((f): f is string => !!f && fs.existsSync(f));
  const where = `epoch ${diverged.epoch + 1}, batch ${diverged.batch + 1} (index ${diverged.batch})`;
  const saved = `nothing was saved from it${kept.length ? `; the last good model is in ${kept.join(' and ')}` : ' (no earlier checkpoint exists)'}`;
  if (diverged.deviceError) {
    return new DeviceFailedError(
      `training stopped at ${where}: ${deviceErrorText(diverged.deviceError)}; ${saved}`,
      diverged.epoch,
      diverged.batch,
      diverged.deviceError,
    );
  }
  return new TrainingDivergedError(`training diverged: the loss of ${where} is not finite; ${saved}`, diverged.epoch, diverged.batch);
}
