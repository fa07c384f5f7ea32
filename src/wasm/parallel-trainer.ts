/**
 * Data-parallel training on two cores: the main thread and one worker thread, each with its own
 * wasm backend and an identical replica of the model.
 *
 * Each step the batch is split in two parts; each side computes the gradients of
 * makeTrainStep's loss on its part, scaled by its share of the batch, writes them to shared
 * memory and reads the other's; both add the two buffers (the same two float32 numbers in
 * either order: bit-identical sums) and apply the same optimizer update, so the replicas stay
 * identical without sending weights. The threads block on Atomics, so `step` is synchronous,
 * like makeTrainStep's.
 *
 * What "the same result" means: BatchNormalization in training normalises each part with that
 * part's own batch statistics, so a step equals, exactly, one model doing: gradients of part A,
 * gradients of part B (each from the same starting weights and moving statistics), the
 * share-weighted sum of the two, one optimizer update, and moving statistics set to the
 * share-weighted mean of the two parts' updated ones. It is not the full-batch step (whose BN
 * statistics span the whole batch), as with any data-parallel training (Keras/TF
 * MirroredStrategy behaves the same way). The loss and accuracy reported are the share-weighted
 * means of the parts'.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread';
import * as tf from '@tensorflow/tfjs';
import { makeFusedOptimizer } from './fused-optimizers';
import {
  Ctrl, OptimizerSpec, SharedBuffers, partGradients, readWeights, setWeightedMean, sumOf, waitFor, writeScaled,
} from './parallel-step';
import type { InitMessage, StepMessage, SyncMessage } from './parallel-worker';

/** Options of ParallelTrainer.create. */
export interface ParallelTrainerOptions {
  /** The optimizer (the trainer builds it, identically on both threads; read it back as `trainer.optimizer`). */
  optimizer: OptimizerSpec;
  /** Keras class_weight, one per class. */
  classWeights?: number[];
}

function startWorker(): Worker {
  return startModuleWorker(__dirname, __filename, 'parallel-worker', { facialParallelWorker: true });
}

function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  if (spec.fused) return makeFusedOptimizer(spec.name, spec.learningRate);
  switch (spec.name) {
    case 'sgd': return tf.train.sgd(spec.learningRate);
    case 'adam': return tf.train.adam(spec.learningRate, 0.9, 0.999, 1e-7);
    case 'momentum': return tf.train.momentum(spec.learningRate, 0.9);
    default: throw new Error(`ParallelTrainer: unknown optimizer '${spec.name as string}' (use sgd, adam or momentum)`);
  }
}

const floats = (ws: Array<{ size: number }>) => ws.reduce((s, w) => s + w.size, 0);
const shared = (bytes: number) => new SharedArrayBuffer(Math.max(bytes, 8));

async function snapshot(model: tf.LayersModel, optimizer: tf.Optimizer):
  Promise<{ weights: Float32Array[]; optimizerWeights: InitMessage['optimizerWeights'] }> {
  const weights = model.weights.map((w) => Float32Array.from(w.read().dataSync()));
  const ow = await optimizer.getWeights();
  const optimizerWeights = ow.map((w) => ({ name: w.name, values: Float32Array.from(w.tensor.dataSync()), shape: w.tensor.shape }));
  if (ow.length) ow[0].tensor.dispose(); // the iterations scalar getWeights made
  return { weights, optimizerWeights };
}

/**
 * A training step on two threads with makeTrainStep's signature. Build with
 * `await ParallelTrainer.create(model, opts)` on the 'wasm' backend; `dispose()` stops the worker.
 */
export class ParallelTrainer {
  /** The main thread's optimizer: callbacks may change its learning rate; the worker follows. */
  readonly optimizer: tf.Optimizer;
  private readonly vars: tf.Variable[];
  private readonly stats: tf.Variable[];
  private readonly classWeights: Float32Array | null;
  private stepCount = 0;
  private readonly v: {
    ctrl: Int32Array; gradMain: Float32Array; gradWorker: Float32Array; statsMain: Float32Array;
    statsWorker: Float32Array; meta: Float64Array; error: Uint8Array;
  };

  private constructor(readonly model: tf.LayersModel, private readonly worker: Worker, buffers: SharedBuffers,
    optimizer: tf.Optimizer, classWeights: number[] | undefined) {
    this.optimizer = optimizer;
    this.vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.stats = model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
    this.classWeights = classWeights ? Float32Array.from(classWeights) : null;
    this.v = {
      ctrl: new Int32Array(buffers.ctrl), gradMain: new Float32Array(buffers.gradMain), gradWorker: new Float32Array(buffers.gradWorker),
      statsMain: new Float32Array(buffers.statsMain), statsWorker: new Float32Array(buffers.statsWorker),
      meta: new Float64Array(buffers.meta), error: new Uint8Array(buffers.error),
    };
  }

  /** Starts the worker with a replica of `model` (current weights) and waits until it is ready. */
  static async create(model: tf.LayersModel, opts: ParallelTrainerOptions): Promise<ParallelTrainer> {
    if (!tf.getBackend().startsWith('wasm')) {
      throw new Error(`ParallelTrainer: needs the wasm backend (the active backend is '${tf.getBackend()}')`);
    }
    const params = floats(model.trainableWeights.map((w) => w.read()));
    const statFloats = floats(model.nonTrainableWeights.map((w) => w.read()));
    const buffers: SharedBuffers = {
      ctrl: shared(Ctrl.Size * 4), gradMain: shared(params * 4), gradWorker: shared(params * 4),
      statsMain: shared(statFloats * 4), statsWorker: shared(statFloats * 4), meta: shared(16), error: shared(4096),
    };
    const optimizer = makeOptimizer(opts.optimizer);
    const worker = startWorker();
    const trainer = new ParallelTrainer(model, worker, buffers, optimizer, opts.classWeights);
    const { weights, optimizerWeights } = await snapshot(model, optimizer);
    const init: InitMessage = {
      type: 'init', topology: model.toJSON(null, false) as object, weights, optimizerWeights, optimizer: opts.optimizer,
      classWeights: opts.classWeights ?? null, buffers,
    };
    const failed = new Promise<never>((_, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`ParallelTrainer: worker exited with code ${code} while starting`)));
    });
    worker.postMessage(init);
    const wait = Atomics.waitAsync(trainer.v.ctrl, Ctrl.Ready, 0);
    if (wait.async) await Promise.race([wait.value, failed]);
    if (Atomics.load(trainer.v.ctrl, Ctrl.Error) !== 0) waitFor(trainer.v.ctrl, Ctrl.Ready, 2, trainer.v.error, 'worker');
    failed.catch(() => undefined);
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    // A later crash shows up in the next step (Error flag or a timeout-free wait): log it here.
    worker.on('error', (err) => process.stderr.write(`ParallelTrainer worker: ${err.stack ?? err}\n`));
    worker.unref(); // an idle worker must not keep the process alive
    return trainer;
  }

  /**
   * Copies the main model's weights and optimizer state to the worker (after loading weights
   * or a resume state into the main model / optimizer while the trainer exists).
   */
  async sync(): Promise<void> {
    const { weights, optimizerWeights } = await snapshot(this.model, this.optimizer);
    const done = new Promise<void>((resolve) => this.worker.once('message', () => resolve()));
    this.worker.ref();
    this.worker.postMessage({ type: 'sync', weights, optimizerWeights } as SyncMessage);
    await done;
    this.worker.unref();
  }

  /** One optimizer step on xs/ys (the worker takes floor(n/2) samples); like makeTrainStep's step. */
  readonly step = (xs: tf.Tensor4D, ys: tf.Tensor2D): { loss: number; acc: number } => {
    const k = ++this.stepCount;
    const n = xs.shape[0];
    const nWorker = Math.floor(n / 2);
    const nMain = n - nWorker;
    const [h, w, c] = xs.shape.slice(1);
    const classes = ys.shape[1];
    const xData = xs.dataSync();
    const yData = ys.dataSync();
    const msg: StepMessage = {
      type: 'step', step: k, mainCount: nMain, learningRate: (this.optimizer as unknown as { learningRate: number }).learningRate,
      xs: Float32Array.from(xData.subarray(nMain * h * w * c)), xShape: [nWorker, h, w, c],
      ys: Float32Array.from(yData.subarray(nMain * classes)), yShape: [nWorker, classes],
    };
    this.worker.postMessage(msg, [msg.xs.buffer, msg.ys.buffer]);

    const mx = xs.slice([0, 0, 0, 0], [nMain, h, w, c]);
    const my = ys.slice([0, 0], [nMain, classes]);
    const part = partGradients(this.model, this.vars, mx, my, this.classWeights);
    tf.dispose([mx, my]);
    // The worker must have read the previous step's buffers before they are overwritten.
    waitFor(this.v.ctrl, Ctrl.WorkerRead, k - 1, this.v.error, 'worker');
    writeScaled(part.grads, this.v.gradMain, nMain / n);
    tf.dispose(part.grads);
    readWeights(this.stats, this.v.statsMain);
    Atomics.store(this.v.ctrl, Ctrl.MainWrote, k);
    Atomics.notify(this.v.ctrl, Ctrl.MainWrote);

    waitFor(this.v.ctrl, Ctrl.WorkerWrote, k, this.v.error, 'worker');
    const sum = sumOf(this.v.gradMain, this.v.gradWorker, this.vars);
    setWeightedMean(this.stats, this.v.statsMain, this.v.statsWorker, nMain, nWorker);
    this.optimizer.applyGradients(this.vars.map((x, i) => ({ name: x.name, tensor: sum[i] })));
    tf.dispose(sum);
    const workerShare = nWorker / n;
    return {
      loss: part.loss * (nMain / n) + (nWorker > 0 ? this.v.meta[0] * workerShare : 0),
      acc: part.acc * (nMain / n) + (nWorker > 0 ? this.v.meta[1] * workerShare : 0),
    };
  };

  /** Stops the worker and frees the optimizer (the model stays the caller's). */
  async dispose(): Promise<void> {
    await this.worker.terminate();
    this.optimizer.dispose();
  }
}
