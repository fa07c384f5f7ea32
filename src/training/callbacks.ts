/**
 * Keras-compatible training callbacks for trainResnet50: ModelCheckpoint, ReduceLROnPlateau,
 * EarlyStopping, CSVLogger, TerminateOnNaN (the machinery they share is in callbacks-base.ts). Option names are camelCase with Keras's snake_case accepted as aliases.
 * Each stateful callback exposes getState/setState so a resumed run continues exactly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Callback, Logs, Monitor, MonitorMode } from './callbacks-base';

export * from './callbacks-base';
import { saveCheckpoint } from '../io/checkpoint-io';
import { writeFileAtomic } from '../files/atomic';

/** Formats Keras filepath templates: `{epoch:02d}`, `{val_loss:.2f}`, `{name}` (Python str.format subset). */
export function formatFilepath(template: string, values: Logs): string {
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (whole, key: string, spec?: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`ModelCheckpoint: filepath '${template}' uses {${key}} but the logs have no '${key}'`);
    if (!spec) return String(v);
    const m = /^(0?)(\d*)(?:\.(\d+))?([dfe]?)$/.exec(spec);
    if (!m) throw new Error(`ModelCheckpoint: unsupported format spec '${whole}'`);
    const [, zero, width, prec, type] = m;
    let s =
      type === 'd'
        ? String(Math.round(v))
        : type === 'e'
          ? v.toExponential(Number(prec ?? 6))
          : prec !== undefined || type === 'f'
            ? v.toFixed(Number(prec ?? 6))
            : String(v);
    if (width) s = s.padStart(Number(width), zero ? '0' : ' ');
    return s;
  });
}

/** Saves `model` to `path` atomically; ModelCheckpoint's default comes from checkpoint-io.ts. */
export type ModelSaver = (model: tf.LayersModel, path: string, opts: { weightsOnly: boolean }) => Promise<void>;

/** ModelCheckpoint options (Keras names in camelCase; snake_case aliases accepted). */
export interface ModelCheckpointConfig {
  /** Path template: `.h5` saves Keras HDF5 weights, `.json` a tfjs model file, anything else a tfjs model folder. */
  filepath: string;
  monitor?: string;
  mode?: MonitorMode;
  saveBestOnly?: boolean;
  /** Accepted for Keras compatibility; tfjs formats always carry the (small) topology. */
  saveWeightsOnly?: boolean;
  /** Save every `period` epochs (Keras 2.x). */
  period?: number;
  verbose?: number;
  save_best_only?: boolean;
  save_weights_only?: boolean;
  /** Replaces the saver (tests, custom formats). */
  saver?: ModelSaver;
}

/** keras.callbacks.ModelCheckpoint: saves after epochs, optionally only when `monitor` improves. */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly period: number;
  private readonly tracker: Monitor;
  /** The path of the last successful save, if any. */
  lastSaved: string | null = null;
  private epochsSinceLastSave = 0;
  private readonly verbose: number;
  private readonly saver?: ModelSaver;

  constructor(cfg: ModelCheckpointConfig) {
    super();
    this.filepath = cfg.filepath;
    this.monitor = cfg.monitor ?? 'val_loss';
    this.saveBestOnly = cfg.saveBestOnly ?? cfg.save_best_only ?? false;
    this.saveWeightsOnly = cfg.saveWeightsOnly ?? cfg.save_weights_only ?? false;
    this.period = cfg.period ?? 1;
    this.verbose = cfg.verbose ?? 0;
    this.tracker = new Monitor(this.monitor, cfg.mode ?? 'auto');
    this.saver = cfg.saver;
  }

  /** The best value of `monitor` saved so far. */
  get best(): number {
    return this.tracker.best;
  }

  private async save(path: string): Promise<void> {
    const saver = this.saver ?? saveCheckpoint;
    await saver(this.ctx.model, path, { weightsOnly: this.saveWeightsOnly });
    this.lastSaved = path;
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.epochsSinceLastSave += 1;
    if (this.epochsSinceLastSave < this.period) return;
    this.epochsSinceLastSave = 0;
    const path = formatFilepath(this.filepath, { ...logs, epoch: epoch + 1 });
    if (!this.saveBestOnly) {
      if (this.verbose) this.ctx.log(`Epoch ${epoch + 1}: saving model to ${path}`);
      await this.save(path);
      return;
    }
    const current = logs[this.monitor];
    if (current === undefined) {
      this.ctx.log(`ModelCheckpoint: can save best model only with ${this.monitor} available, skipping.`);
      return;
    }
    if (this.tracker.improves(current)) {
      if (this.verbose)
        this.ctx.log(
          `Epoch ${epoch + 1}: ${this.monitor} improved from ${this.best.toFixed(5)} to ${current.toFixed(5)}, saving model to ${path}`,
        );
      await this.save(path);
      this.tracker.best = current; // only once saved, so a failed save is retried at the next improvement
    } else if (this.verbose) {
      this.ctx.log(`Epoch ${epoch + 1}: ${this.monitor} did not improve from ${this.best.toFixed(5)}`);
    }
  }

  getState() {
    return { best: this.tracker.getState(), epochsSinceLastSave: this.epochsSinceLastSave, lastSaved: this.lastSaved };
  }
  setState(s: { best: unknown; epochsSinceLastSave: number; lastSaved?: string | null }) {
    this.tracker.setState(s.best);
    this.epochsSinceLastSave = s.epochsSinceLastSave;
    this.lastSaved = s.lastSaved ?? null;
  }
}

/** ReduceLROnPlateau options. */
export interface ReduceLROnPlateauConfig {
  monitor?: string;
  /** New LR = LR * factor (must be < 1). */
  factor?: number;
  patience?: number;
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement (Keras 2.1's `epsilon`). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. */
  cooldown?: number;
  minLr?: number;
  verbose?: number;
  min_delta?: number;
  min_lr?: number;
  epsilon?: number;
}

/**
 * keras.callbacks.ReduceLROnPlateau with Keras >= 2.2.3 semantics: the LR drops when
 * `patience` epochs in a row have not improved (Keras 2.1.x checked before counting and so
 * dropped one epoch later). During cooldown the wait counter is held at 0; an improvement
 * always resets it and updates `best`.
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly minDelta: number;
  private readonly tracker: Monitor;
  wait = 0;
  cooldownCounter = 0;
  private readonly verbose: number;

  constructor(cfg: ReduceLROnPlateauConfig = {}) {
    super();
    this.monitor = cfg.monitor ?? 'val_loss';
    this.factor = cfg.factor ?? 0.1;
    if (this.factor >= 1) throw new Error('ReduceLROnPlateau does not support a factor >= 1.0');
    this.patience = cfg.patience ?? 10;
    this.cooldown = cfg.cooldown ?? 0;
    this.minLr = cfg.minLr ?? cfg.min_lr ?? 0;
    this.minDelta = cfg.minDelta ?? cfg.min_delta ?? cfg.epsilon ?? 1e-4;
    this.verbose = cfg.verbose ?? 0;
    this.tracker = new Monitor(this.monitor, cfg.mode ?? 'auto', this.minDelta);
    this.reset();
  }

  /** The best value of `monitor` so far. */
  get best(): number {
    return this.tracker.best;
  }

  private reset(): void {
    this.tracker.reset();
    this.wait = 0;
    this.cooldownCounter = 0;
  }

  async onTrainBegin(): Promise<void> {
    this.reset();
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    logs.lr = this.ctx.getLearningRate();
    const current = logs[this.monitor];
    if (current === undefined) {
      this.ctx.log(`ReduceLROnPlateau: ${this.monitor} is not available, skipping.`);
      return;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.tracker.improves(current)) {
      this.tracker.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const oldLr = this.ctx.getLearningRate();
        if (oldLr > Math.fround(this.minLr)) {
          const newLr = Math.max(oldLr * this.factor, this.minLr);
          this.ctx.setLearningRate(newLr);
          if (this.verbose) this.ctx.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }

  getState() {
    return { best: this.tracker.getState(), wait: this.wait, cooldownCounter: this.cooldownCounter };
  }
  setState(s: { best: unknown; wait: number; cooldownCounter: number }) {
    this.tracker.setState(s.best);
    this.wait = s.wait;
    this.cooldownCounter = s.cooldownCounter;
  }
}

/** EarlyStopping options. */
export interface EarlyStoppingConfig {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: MonitorMode;
  /** Stop at once unless the monitored value beats this. */
  baseline?: number;
  /** On stopping, put back the weights of the best epoch. */
  restoreBestWeights?: boolean;
  verbose?: number;
  min_delta?: number;
  restore_best_weights?: boolean;
}

/**
 * keras.callbacks.EarlyStopping (Keras 2.2.4): stops when `monitor` has not improved by
 * more than minDelta for `patience` epochs; with restoreBestWeights the best epoch's weights
 * are restored when it stops (as Keras 2.2.4, not when training ends without stopping).
 */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private readonly tracker: Monitor;
  wait = 0;
  stoppedEpoch = 0;
  private bestWeights: tf.Tensor[] | null = null;
  private readonly verbose: number;

  constructor(cfg: EarlyStoppingConfig = {}) {
    super();
    this.monitor = cfg.monitor ?? 'val_loss';
    this.patience = cfg.patience ?? 0;
    this.minDelta = Math.abs(cfg.minDelta ?? cfg.min_delta ?? 0);
    this.restoreBestWeights = cfg.restoreBestWeights ?? cfg.restore_best_weights ?? false;
    this.verbose = cfg.verbose ?? 0;
    this.tracker = new Monitor(this.monitor, cfg.mode ?? 'auto', this.minDelta, cfg.baseline);
  }

  /** The best value of `monitor` so far (the baseline before any). */
  get best(): number {
    return this.tracker.best;
  }

  async onTrainBegin(): Promise<void> {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.tracker.reset();
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const current = logs[this.monitor];
    if (current === undefined) {
      this.ctx.log(`EarlyStopping: ${this.monitor} is not available, skipping.`);
      return;
    }
    if (this.tracker.improves(current)) {
      this.tracker.best = current;
      this.wait = 0;
      if (this.restoreBestWeights) {
        tf.dispose(this.bestWeights ?? []);
        this.bestWeights = tf.tidy(() => this.ctx.model.getWeights().map((w) => w.clone()));
      }
      return;
    }
    this.wait += 1;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.ctx.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) {
        if (this.verbose) this.ctx.log('Restoring model weights from the end of the best epoch.');
        this.ctx.model.setWeights(this.bestWeights);
      }
    }
  }

  async onTrainEnd(): Promise<void> {
    if (this.stoppedEpoch > 0 && this.verbose) this.ctx.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    tf.dispose(this.bestWeights ?? []);
    this.bestWeights = null;
  }

  getState() {
    return { best: this.tracker.getState(), wait: this.wait };
  }
  setState(s: { best: unknown; wait: number }) {
    this.tracker.setState(s.best);
    this.wait = s.wait;
  }
}

/** The columns CSVLogger writes first, in this order; any other log keys follow, sorted. */
export const CSV_COLUMNS = ['epoch', 'loss', 'acc', 'val_loss', 'val_acc', 'lr'];

/** keras.callbacks.CSVLogger: one row per epoch (0-based epoch, as Keras); `append` continues a file. */
export class CSVLogger extends Callback {
  private columns: string[] | null = null;
  /** Data rows in the file, carried in the resume state. */
  private rows = 0;

  constructor(
    readonly filename: string,
    readonly opts: { separator?: string; append?: boolean } = {},
  ) {
    super();
  }

  async onTrainBegin(): Promise<void> {
    this.columns = null;
    this.rows = 0;
    // Keras fails here when the folder is missing; a run's output folder is ours to create.
    fs.mkdirSync(path.dirname(path.resolve(this.filename)), { recursive: true });
    if (this.opts.append && fs.existsSync(this.filename) && fs.statSync(this.filename).size > 0) {
      const lines = fs
        .readFileSync(this.filename, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
      this.columns = lines[0].split(this.opts.separator ?? ',');
      this.rows = lines.length - 1;
    } else {
      fs.writeFileSync(this.filename, '');
    }
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const sep = this.opts.separator ?? ',';
    const row: Logs = { epoch, ...logs };
    if (!this.columns) {
      const rest = Object.keys(row)
        .filter((k) => !CSV_COLUMNS.includes(k))
        .sort();
      this.columns = [...CSV_COLUMNS.filter((k) => k in row), ...rest];
      fs.appendFileSync(this.filename, this.columns.join(sep) + '\n');
    }
    fs.appendFileSync(this.filename, this.columns.map((k) => (k in row ? String(row[k]) : 'NA')).join(sep) + '\n');
    this.rows += 1;
  }

  getState() {
    return { rows: this.rows };
  }

  /**
   * On resume: rows written after the state was taken (a kill between the row and the state)
   * are dropped, so the log and the state always agree, as if written in one step.
   */
  setState(s: { rows?: number }) {
    if (s.rows === undefined || !fs.existsSync(this.filename)) return;
    const lines = fs
      .readFileSync(this.filename, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    if (lines.length - 1 > s.rows) writeFileAtomic(this.filename, lines.slice(0, s.rows + 1).join('\n') + '\n');
    this.rows = Math.max(0, Math.min(s.rows, lines.length - 1));
  }
}

/** keras.callbacks.TerminateOnNaN: stops as soon as a batch loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  async onBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.ctx.log(`Batch ${batch}: Invalid loss, terminating training`);
      this.ctx.stopTraining = true;
    }
  }
}
