/**
 * The resume checkpoint (Keras's BackupAndRestore): model weights (BatchNorm moving statistics
 * included), optimizer slots and iteration count, where in the run it was (epoch, batch, global
 * step, the epoch's running sums, elapsed time), the learning rate, the shuffling seed, the
 * history so far and every callback's state.
 *
 * Crash safety: a state is written whole into a fresh sibling folder `<dir>.tmp-<seq>-<rand>`,
 * its state.json last (so a folder with a parseable state.json is complete), then swapped in
 * with two renames; every older sibling is removed only after the new state is in place. A kill
 * at any instant therefore leaves at least one complete state among `<dir>`, `<dir>.old-*` and
 * `<dir>.tmp-*`, and `findTrainState` takes the one with the highest sequence number. No name
 * depends on the process id, so containers that reuse pids cannot collide with a leftover.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { firstNonFiniteWeight } from '../io/trained-model';
import { atomicRename, stagingName, writeFileAtomic } from '../files/atomic';
import { leftoversOf } from '../files/leftovers';
import { runningScalars, setRunningScalars } from './optimizers';
import { flushSubnormals } from '../models/denormals';

/** Where in the run a state was taken. */
export interface TrainPosition {
  /** The epoch to run next, or to continue (0-based). */
  nextEpoch: number;
  /** The batch of `nextEpoch` to run next (0 at an epoch boundary). */
  nextBatch: number;
  /** Optimizer steps taken so far (drives per-step schedules). */
  step: number;
  /** Wall time spent by the run so far, over all its resumes (drives time budgets). */
  elapsedMs: number;
  /** The running sums of the unfinished epoch (zeros at a boundary) and the rate its first batch used. */
  epochSums: { loss: number; acc: number; seen: number; lr?: number | null };
}

/**
 * The settings that shape a run, by flag name (`batch_size`, `size`, `data`, `augment`, ...):
 * recorded in its state and compared on resume, so a resume cannot mix two runs.
 */
export type RunSettings = Record<string, string | number | boolean | null>;

/** The JSON half of the state (weights travel in weights.bin). */
export interface TrainStateMeta extends TrainPosition {
  version: 2;
  /** Increases by one with every save of this run; the newest complete state wins. */
  seq: number;
  learningRate: number;
  seed: number;
  /** The optimizer's class name, so a resume with another optimizer is refused. */
  optimizer: string;
  history: Record<string, number[]>;
  callbacks: unknown[];
  modelWeightCount: number;
  optimizerWeightNames: string[];
  /** Optimizer scalars getWeights leaves out (Adam's running beta powers), so a resume is bit-exact. */
  optimizerScalars?: Record<string, number>;
  specs: tf.io.WeightsManifestEntry[];
  /** The run's settings; absent in states written before they were recorded: then nothing is checked. */
  settings?: RunSettings;
  /** Set once the run has finished (its epochs or time budget spent, or stopped by a callback) and its final model is written. */
  finished?: boolean;
  /** Set when weights.bin was removed at the end of the run: this state only records it. */
  weightsRemoved?: boolean;
}

/** What the loop passes to saveTrainState. */
export type TrainStateInput = Omit<
  TrainStateMeta,
  'version' | 'modelWeightCount' | 'optimizerWeightNames' | 'optimizerScalars' | 'specs' | 'optimizer'
>;

/** Thrown when a state would be written from weights that are NaN or infinite. */
export class NonFiniteWeightsError extends Error {}

/** `<dir>` (when present) and its `.tmp-*` / `.old-*` siblings, as paths. */
function candidates(dir: string): string[] {
  return [...(fs.existsSync(dir) ? [dir] : []), ...leftoversOf(dir)];
}

/** The state.json of a complete state folder, or null for a partial one. */
function readComplete(folder: string): TrainStateMeta | null {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(folder, 'state.json'), 'utf8')) as TrainStateMeta;
    if (meta.weightsRemoved) return meta; // a finished run's record: complete without weights
    const bytes = meta.specs.reduce(
      (s, e) => s + e.shape.reduce((a, b) => a * b, 1) * (e.dtype === 'int32' || e.dtype === 'float32' ? 4 : 1),
      0,
    );
    return fs.statSync(path.join(folder, 'weights.bin')).size === bytes ? meta : null;
  } catch {
    return null;
  }
}

/** Saves the state of `model` + `optimizer` as `dir`, recoverably from a kill at any point. */
export async function saveTrainState(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer, meta: TrainStateInput): Promise<void> {
  const bad = await firstNonFiniteWeight(model);
  if (bad) throw new NonFiniteWeightsError(`refusing to write the resume state ${dir}: weight ${bad} is not finite`);
  const optWeights = await optimizer.getWeights();
  const named: Array<{ name: string; tensor: tf.Tensor }> = [
    ...model.weights.map((w, i) => ({ name: `model/${i}`, tensor: w.read() as tf.Tensor })),
    ...optWeights.map((w, i) => ({ name: `optimizer/${i}`, tensor: w.tensor })),
  ];
  const { data, specs } = await tf.io.encodeWeights(named);
  optWeights[0]?.tensor.dispose(); // getWeights makes a fresh iteration scalar; the rest are live slots
  const full: TrainStateMeta = {
    version: 2,
    ...meta,
    optimizer: optimizer.getClassName(),
    modelWeightCount: model.weights.length,
    optimizerWeightNames: optWeights.map((w) => w.name),
    // tfjs's Adam rebuilds accBeta1/2 in setWeights as pow(beta, t + 1), which differs in the last
    // bit from the product it accumulates step by step; carrying the products keeps resumes exact.
    optimizerScalars: await runningScalars(optimizer),
    specs,
  };
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const staged = stagingName(dir, 'tmp', meta.seq);
  const stale = candidates(dir).filter((c) => c !== dir);
  try {
    fs.mkdirSync(staged);
    fs.writeFileSync(path.join(staged, 'weights.bin'), new Uint8Array(data));
    fs.writeFileSync(path.join(staged, 'state.json.part'), JSON.stringify(full));
    atomicRename(path.join(staged, 'state.json.part'), path.join(staged, 'state.json'));
  } catch (err) {
    fs.rmSync(staged, { recursive: true, force: true });
    throw new Error(`could not write the resume state ${staged}: ${(err as Error).message}`);
  }
  const old = stagingName(dir, 'old', meta.seq);
  if (fs.existsSync(dir)) atomicRename(dir, old);
  atomicRename(staged, dir);
  for (const s of [old, ...stale]) fs.rmSync(s, { recursive: true, force: true });
}

/** The newest complete state among `dir` and its leftovers of an interrupted save, or null. */
export function findTrainState(dir: string): string | null {
  let best: { folder: string; seq: number } | null = null;
  for (const c of candidates(dir)) {
    const meta = readComplete(c);
    const seq = meta ? (meta.seq ?? -1) : null;
    if (seq !== null && (!best || seq > best.seq)) best = { folder: c, seq };
  }
  return best?.folder ?? null;
}

/**
 * Makes `found` (findTrainState's answer) the state at `dir` and removes every other
 * `.tmp-*` / `.old-*` sibling (leftovers of killed runs). Returns `dir`. Each step keeps a
 * complete newest state findable, so a kill here too is recovered by the next run.
 */
export function adoptTrainState(dir: string, found: string | null): string {
  if (found && found !== dir) {
    if (fs.existsSync(dir)) atomicRename(dir, stagingName(dir, 'old', 'adopt'));
    atomicRename(found, dir);
  }
  for (const c of candidates(dir)) if (c !== dir) fs.rmSync(c, { recursive: true, force: true });
  return dir;
}

/**
 * Zeroes the subnormal float32 values of the newest complete state of `dir` (models/denormals.ts),
 * in its file, for a run whose trainer predates the periodic flush; returns how many. Only while
 * no trainer is writing `dir`. weights.bin is replaced by one rename, so a kill leaves the old or
 * the new file, never half of one.
 */
export function flushStateSubnormals(dir: string): number {
  const found = findTrainState(dir);
  if (!found) return 0;
  const meta = readTrainStateMeta(found);
  if (meta.weightsRemoved) return 0;
  const file = path.join(found, 'weights.bin');
  const bin = fs.readFileSync(file);
  let offset = bin.byteOffset;
  let flushed = 0;
  for (const spec of meta.specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const size = spec.dtype === 'int32' || spec.dtype === 'float32' ? 4 : 1;
    if (spec.dtype === 'float32') {
      // Buffer.from(file) is not 4-byte aligned in general: a copy is.
      const values = new Float32Array(bin.buffer.slice(offset, offset + count * 4));
      const n = flushSubnormals(values);
      if (n > 0) bin.set(new Uint8Array(values.buffer), offset - bin.byteOffset);
      flushed += n;
    }
    offset += count * size;
  }
  if (flushed > 0) writeFileAtomic(file, bin);
  return flushed;
}

/** Reads the JSON half of a state folder; errors name the file. */
export function readTrainStateMeta(dir: string): TrainStateMeta {
  const file = path.join(dir, 'state.json');
  let meta: TrainStateMeta;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8')) as TrainStateMeta;
  } catch (err) {
    throw new Error(`${file}: not a readable resume state (${(err as Error).message})`);
  }
  if ((meta.version as number) === 1) {
    // Version 1 states were taken at epoch boundaries only.
    const old = meta as Partial<TrainStateMeta>;
    return {
      ...meta,
      version: 2,
      seq: 0,
      nextBatch: 0,
      step: old.step ?? 0,
      elapsedMs: 0,
      epochSums: { loss: 0, acc: 0, seen: 0 },
      optimizer: old.optimizer ?? '',
    };
  }
  if (meta.version !== 2) throw new Error(`${file}: unknown state version ${meta.version}`);
  return meta;
}

/** How far a state's run got, for messages: 'finished after epoch 30', 'stopped after epoch 2', 'stopped in epoch 3, before batch 13'. */
export function describeTrainState(meta: TrainStateMeta): string {
  if (meta.finished) return `finished after epoch ${meta.nextEpoch}`;
  return meta.nextBatch
    ? `stopped in epoch ${meta.nextEpoch + 1}, before batch ${meta.nextBatch + 1}`
    : `stopped after epoch ${meta.nextEpoch}`;
}

/** Settings recorded under a flag's earlier name by states of the previous release (--size). */
const RENAMED_SETTINGS: Record<string, string> = { image_size: 'size' };

/**
 * Refuses a resume whose settings differ from the ones the state at `dir` was written with,
 * naming the flag and both values. `given` holds the settings of the resuming run (undefined:
 * not given, so the state's value is used); a setting the state does not record (a state of
 * an earlier version) is unknown and not checked. The seed is the state's own field.
 */
export function checkResumeSettings(dir: string, meta: TrainStateMeta, given: Record<string, RunSettings[string] | undefined>): void {
  for (const [flag, value] of Object.entries(given)) {
    const recorded = flag === 'seed' ? meta.seed : (meta.settings?.[flag] ?? meta.settings?.[RENAMED_SETTINGS[flag] ?? '']);
    if (value === undefined || recorded === undefined || recorded === value) continue;
    const show = (v: unknown) => (v === null ? 'none' : String(v));
    if (flag === 'classes')
      throw new Error(
        `the data folder's classes (${show(value)}) differ from the run in ${dir}, which has ${show(recorded)}: resume on the run's folder, or start a new run (--force replaces it)`,
      );
    throw new Error(
      `--${flag} ${show(value)} differs from the run in ${dir}, which has --${flag} ${show(recorded)}: resume with the run's --${flag} ${show(recorded)}` +
        (flag === 'seed' ? ' or without --seed' : '') +
        ', or start a new run (--force replaces it)',
    );
  }
}

/** What a run starting now does with the state at its state folder (planResume's answer). */
export interface ResumePlan {
  /** The complete state to resume from; null for a fresh run. */
  found: string | null;
  meta: TrainStateMeta | null;
  /** The state's run is already finished for these epochs and this time budget: nothing to train. */
  finished: boolean;
  /** A fresh run with `force` over an existing state: the caller removes that state before writing anything. */
  replaces: boolean;
}

/**
 * Decides, before any file is touched, how a run relates to the state at `dir`: a resume
 * (its settings checked against the state's, see checkResumeSettings), a resume of a run
 * already finished, or a fresh run. A fresh run over an existing state is refused unless
 * `force`: the state and the log beside it belong to that run.
 */
export function planResume(
  dir: string | undefined,
  o: { resume?: boolean; force?: boolean; epochs: number; budgetMs: number; given: Record<string, RunSettings[string] | undefined> },
): ResumePlan {
  const found = dir ? findTrainState(dir) : null;
  const meta = found ? readTrainStateMeta(found) : null;
  if (!dir || !found || !meta) return { found: null, meta: null, finished: false, replaces: false };
  if (!o.resume) {
    if (o.force) return { found: null, meta: null, finished: false, replaces: true };
    throw new Error(
      `${dir} holds a run (${describeTrainState(meta)}): continue it with --resume, or start a new run with --force, which removes that state`,
    );
  }
  checkResumeSettings(dir, meta, o.given);
  // Only a state marked finished: one at the end of its epochs without the mark was taken
  // before the final model was written (a kill in between), and resuming it writes that model.
  const finished = !!meta.weightsRemoved || (!!meta.finished && (meta.nextEpoch >= o.epochs || meta.elapsedMs >= o.budgetMs));
  return { found, meta, finished, replaces: false };
}

/**
 * Marks the state at `dir` as the record of a finished run. Unless `keepWeights`, its
 * weights.bin (the model and optimizer slots, hundreds of MB) is removed: state.json stays,
 * with the steps, time, seed and history (what scripts/ship-model.ts reads). state.json is
 * rewritten first, so a kill between the two steps leaves a record that says so.
 */
export function finishTrainState(dir: string, keepWeights: boolean): void {
  const meta = readTrainStateMeta(dir);
  const file = path.join(dir, 'state.json');
  writeFileAtomic(file, JSON.stringify({ ...meta, finished: true, ...(keepWeights ? {} : { weightsRemoved: true }) }));
  if (!keepWeights) fs.rmSync(path.join(dir, 'weights.bin'), { force: true });
  for (const left of leftoversOf(file)) fs.rmSync(left, { force: true }); // of a finish that was killed
}

/** Removes the state at `dir` and every leftover of its saves (a run the user chose to replace). */
export function removeTrainState(dir: string): void {
  for (const c of candidates(dir)) fs.rmSync(c, { recursive: true, force: true });
}

/** Loads the state into `model` and `optimizer`; returns the JSON half. Errors name the folder. */
export async function loadTrainState(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<TrainStateMeta> {
  const meta = readTrainStateMeta(dir);
  if (meta.weightsRemoved) {
    throw new Error(`${dir}: the run finished and its weights were not kept (keep them with --keep_state), so it cannot be continued`);
  }
  if (meta.optimizer && meta.optimizer !== optimizer.getClassName()) {
    throw new Error(
      `${dir}: the state was trained with ${meta.optimizer}, not ${optimizer.getClassName()}; resume with the same --optimizer`,
    );
  }
  if (meta.modelWeightCount !== model.weights.length) {
    throw new Error(
      `${dir}: the saved state has ${meta.modelWeightCount} weights but the model has ${model.weights.length} (a different model?)`,
    );
  }
  const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
  let map: tf.NamedTensorMap;
  try {
    map = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), meta.specs);
  } catch (err) {
    throw new Error(`${path.join(dir, 'weights.bin')}: truncated or corrupt (${(err as Error).message})`);
  }
  try {
    const modelTensors = model.weights.map((w, i) => {
      const t = map[`model/${i}`];
      if (!t || !tf.util.arraysEqual(t.shape, w.shape as number[])) {
        throw new Error(`${dir}: weight ${w.name} has shape [${t?.shape}] in the state, [${w.shape}] in the model`);
      }
      return t;
    });
    model.setWeights(modelTensors);
    const optTensors = meta.optimizerWeightNames.map((name, i) => ({ name, tensor: map[`optimizer/${i}`] }));
    if (optTensors.length > 0) await optimizer.setWeights(optTensors);
    setRunningScalars(optimizer, meta.optimizerScalars ?? {});
  } finally {
    tf.dispose(Object.values(map));
  }
  return meta;
}
