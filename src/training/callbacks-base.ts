/**
 * The callback machinery, as tfjs-layers': the Callback base class with every Keras hook, a
 * CallbackList the training loop drives, a Monitor that holds the best value of a metric for
 * the callbacks that watch one (mode, min_delta, best), and the adapter for callbacks written
 * in tfjs's CustomCallback shape. The Keras callbacks themselves are in callbacks.ts.
 */
import type * as tf from '@tensorflow/tfjs';

/** Per-epoch / per-batch metrics, Keras names (loss, acc, val_loss, val_acc, lr). */
export type Logs = Record<string, number>;

/** What callbacks may see and change about the run. */
export interface TrainingContext {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  getLearningRate(): number;
  setLearningRate(lr: number): void;
  /** Set to true to stop after the current epoch (Keras's model.stop_training). */
  stopTraining: boolean;
  verbose: number;
  log(message: string): void;
  /** The run's shape, as Keras's callback params: epochs (Infinity under a time budget) and batches per epoch (0 if unknown). */
  params: { epochs: number; steps: number };
}

/** Base class: every hook is optional, as in Keras. */
export abstract class Callback {
  protected ctx!: TrainingContext;
  /** Called once before onTrainBegin. */
  setContext(ctx: TrainingContext): void {
    this.ctx = ctx;
  }
  async onTrainBegin(_logs?: Logs): Promise<void> {}
  async onEpochBegin(_epoch: number, _logs?: Logs): Promise<void> {}
  async onBatchBegin(_batch: number, _logs?: Logs): Promise<void> {}
  async onBatchEnd(_batch: number, _logs?: Logs): Promise<void> {}
  async onEpochEnd(_epoch: number, _logs?: Logs): Promise<void> {}
  async onTrainEnd(_logs?: Logs): Promise<void> {}
  /** JSON state to carry over a resume (null: stateless). */
  getState(): unknown {
    return null;
  }
  /** Restores getState's value; called after onTrainBegin on resume. */
  setState(_state: unknown): void {}
}

/** Keras's mode: 'auto' means max for accuracy-like names, min otherwise. */
export type MonitorMode = 'auto' | 'min' | 'max';

export function isMaxMode(mode: MonitorMode, monitor: string): boolean {
  if (!['auto', 'min', 'max'].includes(mode)) throw new Error(`mode must be auto, min or max, got '${mode}'`);
  return mode === 'max' || (mode === 'auto' && (monitor.includes('acc') || monitor.startsWith('fmeasure')));
}

/** Best so far, serialised so ±Infinity survive JSON. */
export const enc = (x: number) => (Number.isFinite(x) ? x : String(x));
export const dec = (x: unknown) => Number(x);

/**
 * The best value so far of one metric, and whether a new value improves on it: Keras's
 * mode ('auto' maximises accuracy-like names) and min_delta, shared by ModelCheckpoint,
 * ReduceLROnPlateau and EarlyStopping.
 */
export class Monitor {
  readonly maximise: boolean;
  best: number;

  constructor(
    readonly monitor: string,
    mode: MonitorMode = 'auto',
    readonly minDelta = 0,
    private readonly baseline?: number,
  ) {
    this.maximise = isMaxMode(mode, monitor);
    this.best = this.initial();
  }

  private initial(): number {
    return this.baseline ?? (this.maximise ? -Infinity : Infinity);
  }

  /** Back to no best value (or the baseline). */
  reset(): void {
    this.best = this.initial();
  }

  /** True when `current` beats the best by more than minDelta. */
  improves(current: number): boolean {
    return this.maximise ? current - this.minDelta > this.best : current + this.minDelta < this.best;
  }

  /** The best, JSON-safe (±Infinity as strings). */
  getState(): unknown {
    return enc(this.best);
  }
  setState(s: unknown): void {
    this.best = dec(s);
  }
}

/** The callbacks of one run, called in order for each hook (tfjs-layers' CallbackList). */
export class CallbackList {
  constructor(readonly callbacks: Callback[]) {}

  setContext(ctx: TrainingContext): void {
    for (const c of this.callbacks) c.setContext(ctx);
  }
  async onTrainBegin(logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin(logs);
  }
  async onEpochBegin(epoch: number, logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin(epoch, logs);
  }
  async onBatchBegin(batch: number, logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin(batch, logs);
  }
  async onBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd(batch, logs);
  }
  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd(epoch, logs);
  }
  async onTrainEnd(logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd(logs);
  }
  /** Every callback's state, in order, for the resume state. */
  getState(): unknown[] {
    return this.callbacks.map((c) => c.getState());
  }
  /** Restores getState's value (entries that are null, or beyond the list, are skipped). */
  setState(states: unknown[]): void {
    states.forEach((s, i) => {
      if (s !== null && this.callbacks[i]) this.callbacks[i].setState(s);
    });
  }
}

/** tfjs's CustomCallbackArgs shape: plain functions, each optional, sync or async. */
export interface CustomCallbackArgs {
  onTrainBegin?: (logs?: Logs) => void | Promise<void>;
  onTrainEnd?: (logs?: Logs) => void | Promise<void>;
  onEpochBegin?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onEpochEnd?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onBatchBegin?: (batch: number, logs?: Logs) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs?: Logs) => void | Promise<void>;
}

/** What tfjs's own callbacks (tf.callbacks.earlyStopping(), subclasses of tf.Callback) add to the hooks. */
interface TfjsCallback extends CustomCallbackArgs {
  setModel(model: unknown): void;
  setParams?(params: Record<string, unknown>): void;
}

function isTfjsCallback(c: CustomCallbackArgs): c is TfjsCallback {
  return typeof (c as Partial<TfjsCallback>).setModel === 'function';
}

/**
 * Wraps a tfjs-style callback object (or tf.CustomCallback) so the loop can call it like the
 * rest. tfjs's own callbacks (tf.Callback subclasses such as tf.callbacks.earlyStopping()) read
 * `this.model` and stop a run with `this.model.stopTraining = true`, so they are given the model
 * with that one property bound to this run's stop flag, and Keras's params.
 */
export class UserCallback extends Callback {
  constructor(private readonly fns: CustomCallbackArgs) {
    super();
  }
  setContext(ctx: TrainingContext): void {
    super.setContext(ctx);
    if (!isTfjsCallback(this.fns)) return;
    const model = new Proxy(ctx.model, {
      get: (target, key, receiver) => (key === 'stopTraining' ? ctx.stopTraining : Reflect.get(target, key, receiver)),
      set: (target, key, value, receiver) => {
        if (key !== 'stopTraining') return Reflect.set(target, key, value, receiver);
        ctx.stopTraining = !!value;
        return true;
      },
    });
    this.fns.setModel(model);
    this.fns.setParams?.({ epochs: ctx.params.epochs, steps: ctx.params.steps, verbose: ctx.verbose });
  }
  async onTrainBegin(logs?: Logs) {
    await this.fns.onTrainBegin?.(logs);
  }
  async onTrainEnd(logs?: Logs) {
    await this.fns.onTrainEnd?.(logs);
  }
  async onEpochBegin(epoch: number, logs?: Logs) {
    await this.fns.onEpochBegin?.(epoch, logs);
  }
  async onEpochEnd(epoch: number, logs?: Logs) {
    await this.fns.onEpochEnd?.(epoch, logs);
  }
  async onBatchBegin(batch: number, logs?: Logs) {
    await this.fns.onBatchBegin?.(batch, logs);
  }
  async onBatchEnd(batch: number, logs?: Logs) {
    await this.fns.onBatchEnd?.(batch, logs);
  }
}

/** Normalises a mix of our callbacks and tfjs-style objects into Callback instances. */
export function toCallbacks(list: Array<Callback | CustomCallbackArgs> = []): Callback[] {
  return list.map((c) => (c instanceof Callback ? c : new UserCallback(c)));
}
