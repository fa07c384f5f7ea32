/**
 * The worker thread of ParallelTrainer: its own wasm backend and model replica; each step it
 * computes the gradients of its part of the batch, exchanges them through shared memory and
 * applies the same summed update as the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './index';
import { makeFusedOptimizer } from './fused-optimizers';
import {
  Ctrl, OptimizerSpec, SharedBuffers, partGradients, readWeights, setLr, setWeightedMean, sumOf, waitFor, writeScaled,
} from './parallel-step';

/** The first message: everything needed to build an identical replica. */
export interface InitMessage {
  type: 'init';
  topology: object;
  /** model.weights values in order (trainable and not). */
  weights: Float32Array[];
  /** optimizer.getWeights() values in order (iterations first), or empty for a fresh one. */
  optimizerWeights: Array<{ name: string; values: Float32Array; shape: number[] }>;
  optimizer: OptimizerSpec;
  classWeights: number[] | null;
  buffers: SharedBuffers;
}

/** One step: the worker's part of the batch. */
export interface StepMessage {
  type: 'step';
  step: number;
  xs: Float32Array;
  xShape: [number, number, number, number];
  ys: Float32Array;
  yShape: [number, number];
  /** Size of the main thread's part. */
  mainCount: number;
  learningRate: number;
}

/** Replaces all weights (and optimizer state) with the main thread's. */
export interface SyncMessage {
  type: 'sync';
  weights: Float32Array[];
  optimizerWeights: InitMessage['optimizerWeights'];
}

function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  if (spec.fused) return makeFusedOptimizer(spec.name, spec.learningRate);
  switch (spec.name) {
    case 'sgd': return tf.train.sgd(spec.learningRate);
    case 'adam': return tf.train.adam(spec.learningRate, 0.9, 0.999, 1e-7);
    default: return tf.train.momentum(spec.learningRate, 0.9);
  }
}

async function main(): Promise<void> {
  if (!parentPort || !workerData?.facialParallelWorker) return;
  const port = parentPort;
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  let model: tf.LayersModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  let vars: tf.Variable[] = [];
  let stats: tf.Variable[] = [];
  let classWeights: Float32Array | null = null;
  let views: {
    ctrl: Int32Array; gradMain: Float32Array; gradWorker: Float32Array; statsMain: Float32Array;
    statsWorker: Float32Array; meta: Float64Array; error: Uint8Array;
  } | null = null;

  const setAll = async (weights: Float32Array[], optWeights: InitMessage['optimizerWeights']) => {
    model!.setWeights(model!.weights.map((w, i) => tf.tensor(weights[i], w.shape as number[], 'float32')));
    if (optWeights.length) {
      await optimizer!.setWeights(optWeights.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape) })));
    }
  };

  port.on('message', async (msg: InitMessage | StepMessage | SyncMessage) => {
    try {
      if (msg.type === 'init') {
        const b = msg.buffers;
        views = {
          ctrl: new Int32Array(b.ctrl), gradMain: new Float32Array(b.gradMain), gradWorker: new Float32Array(b.gradWorker),
          statsMain: new Float32Array(b.statsMain), statsWorker: new Float32Array(b.statsWorker),
          meta: new Float64Array(b.meta), error: new Uint8Array(b.error),
        };
        model = await tf.models.modelFromJSON({ modelTopology: msg.topology } as tf.io.ModelJSON);
        optimizer = makeOptimizer(msg.optimizer);
        vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        stats = model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
        classWeights = msg.classWeights ? Float32Array.from(msg.classWeights) : null;
        await setAll(msg.weights, msg.optimizerWeights);
        Atomics.store(views.ctrl, Ctrl.Ready, 1);
        Atomics.notify(views.ctrl, Ctrl.Ready);
      } else if (msg.type === 'sync') {
        await setAll(msg.weights, msg.optimizerWeights);
        port.postMessage({ type: 'synced' });
      } else {
        step(msg);
      }
    } catch (err) {
      if (views) {
        const text = Buffer.from(String((err as Error)?.stack ?? err)).subarray(0, views.error.length);
        views.error.set(text);
        Atomics.store(views.ctrl, Ctrl.Error, 1);
        Atomics.notify(views.ctrl, Ctrl.WorkerWrote);
      }
    }
  });

  const step = (msg: StepMessage) => {
    const v = views!;
    const n = msg.mainCount + msg.xShape[0];
    setLr(optimizer!, msg.learningRate);
    const own = msg.xShape[0];
    if (own > 0) {
      const xs = tf.tensor4d(msg.xs, msg.xShape);
      const ys = tf.tensor2d(msg.ys, msg.yShape);
      const part = partGradients(model!, vars, xs, ys, classWeights);
      writeScaled(part.grads, v.gradWorker, own / n);
      tf.dispose([xs, ys, ...part.grads]);
      v.meta[0] = part.loss;
      v.meta[1] = part.acc;
    } else {
      v.gradWorker.fill(0);
    }
    readWeights(stats, v.statsWorker);
    Atomics.store(v.ctrl, Ctrl.WorkerWrote, msg.step);
    Atomics.notify(v.ctrl, Ctrl.WorkerWrote);
    waitFor(v.ctrl, Ctrl.MainWrote, msg.step, v.error, 'main thread');
    const sum = sumOf(v.gradMain, v.gradWorker, vars);
    // The main thread's statistics first in both replicas, so the means are bit-identical.
    setWeightedMean(stats, v.statsMain, v.statsWorker, msg.mainCount, own);
    Atomics.store(v.ctrl, Ctrl.WorkerRead, msg.step);
    Atomics.notify(v.ctrl, Ctrl.WorkerRead);
    optimizer!.applyGradients(vars.map((x, i) => ({ name: x.name, tensor: sum[i] })));
    tf.dispose(sum);
  };
}

main().catch((err) => {
  process.stderr.write(`parallel worker: ${(err as Error).stack}\n`);
  process.exit(1);
});
