/**
 * A whole training step (training-mode forward, cross-entropy + L2 losses, gradients of every
 * trainable weight) gives the same loss and gradients on a target backend (wasm with the training
 * kernels, or WebGPU) as on the cpu backend with tfjs's own kernels and gradients.
 *
 * Tolerance: for each weight ||g_wasm - g_cpu|| <= tol * ||g_cpu|| + floor * max_w ||g_cpu(w)||,
 * the loss within tol' relative: tol 1e-3, floor 1e-6, tol' 1e-5 for the small model; tol 5e-2,
 * floor 1e-2, tol' 5e-3 for ResNet-50, because at batch 2 its
 * last BatchNorm layers normalise over two values per channel, which amplifies float32 rounding:
 * tfjs's own forward kernels already differ by ~1e-3 relative between cpu and wasm there. A wrong
 * kernel or gradient gives errors of order 1.
 *
 * The cpu side runs first, before registerWasmTrainingKernels replaces the batch-norm and mean
 * gradients, so tfjs's original gradients are the reference.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/engine/wasm';
import { fusedBatchNormGradConfig, meanGradConfig } from '../../src/engine/wasm/batchnorm-grad';
import { trainingLoss } from '../../src/training/loss';
import { resnet50, RESNET50_MIN_SIZE } from '../../src/resnet50';

const tfjsGradients = [tf.getGradient('FusedBatchNorm'), tf.getGradient('Mean')];

/** The backend a comparison runs against cpu, and what makes it ready. */
export interface StepTarget {
  backend: string;
  /** Runs after the cpu side, before the target's step. */
  prepare(): Promise<void> | void;
}

/** The wasm engine: its training kernels and leaner batch-norm/mean gradients. */
export const WASM_TARGET: StepTarget = {
  backend: 'wasm',
  prepare: () => {
    registerWasmTrainingKernels();
    tf.registerGradient(fusedBatchNormGradConfig);
    tf.registerGradient(meanGradConfig);
  },
};

interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
}

/** A few layers that cover what ResNet-50 uses: strided and 1x1 convs, BN, pools, add, L2. */
export function smallModel(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  const inp = tf.input({ shape: [13, 13, 3] });
  let h = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 7,
      strides: 2,
      padding: 'same',
      kernelInitializer: init(1),
      kernelRegularizer: tf.regularizers.l2({ l2: 1e-3 }),
    })
    .apply(inp) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ axis: 3 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(h) as tf.SymbolicTensor;
  const a = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
  const b = tf.layers
    .conv2d({ filters: 8, kernelSize: 1, strides: 2, kernelInitializer: init(3) })
    .apply(tf.layers.batchNormalization({ axis: 3 }).apply(a) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ filters: 8, kernelSize: 1, strides: 2, kernelInitializer: init(4) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.add().apply([b, c]) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: init(5) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: h });
}

/**
 * Keras's ResNet-50 graph (every layer, name and setting of src/resnet50.ts) rebuilt from its
 * config at `side` px, with the fixed 7x7 avg_pool made 1x1 (at 48 the last map is 2x2, pooled by
 * the global average before the dense softmax). At the model's own minimum of 197 px the cpu side
 * of a comparison takes ~8 minutes; the kernels' code paths depend on channels, not map sizes.
 * Not 32: there stage 5's maps are 1x1 and training-mode BN over a handful of values per channel
 * turns float32 rounding into 20% differences (inference at 32 agrees to 1e-6).
 */
export function kerasResnetGraph(side: number): tf.LayersModel {
  const full = resnet50({ inputShape: [RESNET50_MIN_SIZE, RESNET50_MIN_SIZE, 1], includeTop: false, seed: 4 });
  const cfg = full.getConfig() as unknown as { layers: Array<{ className: string; name: string; config: Record<string, unknown> }> };
  full.dispose();
  for (const l of cfg.layers) {
    if (l.className === 'InputLayer') l.config.batchInputShape = [null, side, side, 1];
    if (l.name === 'avg_pool') Object.assign(l.config, { poolSize: [1, 1], strides: [1, 1] });
  }
  const base = tf.LayersModel.fromConfig(tf.LayersModel, cfg as never) as tf.LayersModel;
  let h = tf.layers.globalAveragePooling2d({}).apply(base.outputs[0]) as tf.SymbolicTensor;
  h = tf.layers
    .dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: base.inputs, outputs: h });
}

function batchFor(shape: number[], seed: number): { x: Float32Array; y: number[] } {
  let state = seed;
  const size = shape.reduce((p, d) => p * d, 1);
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    x[i] = state / 2 ** 32 - 0.5;
  }
  return { x, y: Array.from({ length: shape[0] }, (_, i) => (i * 3) % 7) };
}

/** Builds the model on `backend`, loads `weights`, and returns the loss and all gradients. */
async function step(
  backend: string,
  build: () => tf.LayersModel,
  shape: number[],
  weights: Float32Array[] | null,
  data: { x: Float32Array; y: number[] },
): Promise<StepResult & { weights: Float32Array[] }> {
  await tf.setBackend(backend);
  const model = build();
  if (weights) model.setWeights(weights.map((w, i) => tf.tensor(w, model.weights[i].shape as number[])));
  const start: Float32Array[] = [];
  for (const w of model.weights) start.push((await w.read().data()) as Float32Array);
  const xs = tf.tensor(data.x, shape);
  const ys = tf.oneHot(tf.tensor1d(data.y, 'int32'), 7);
  const before = tf.memory().numTensors;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // What training minimises (src/training/loss.ts), regularisation included: model.losses is empty for a
  // functional model, the L2 terms come from calculateLosses().
  let acc: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = trainingLoss(model, xs as tf.Tensor4D, ys as tf.Tensor2D, null);
    acc = out.acc;
    return out.total;
  }, vars);
  tf.dispose(acc!);
  const result = new Map<string, Float32Array>();
  // Variable names carry a global counter, so key gradients by the weight's position instead.
  for (const [i, v] of vars.entries())
    result.set(`#${i} (${model.trainableWeights[i].shape})`, (await grads[v.name].data()) as Float32Array);
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before, `${backend}: no tensors left behind by the step`);
  tf.dispose([xs, ys]);
  model.dispose();
  return { loss, grads: result, weights: start };
}

function l2(a: Float32Array, b?: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - (b ? b[i] : 0)) ** 2;
  return Math.sqrt(s);
}

export async function compareStep(
  build: () => tf.LayersModel,
  shape: number[],
  tol: { loss: number; grad: number; floor: number },
  targets: StepTarget | StepTarget[] = WASM_TARGET,
): Promise<void> {
  const data = batchFor(shape, 5);
  for (const g of tfjsGradients) tf.registerGradient(g);
  const t0 = performance.now();
  const ref = await step('cpu', build, shape, null, data);
  const cpuSeconds = (performance.now() - t0) / 1000;
  // One cpu reference for every target, in the order given (wasm last: it replaces two gradients).
  for (const target of Array.isArray(targets) ? targets : [targets]) await compareTarget(target, build, shape, tol, data, ref, cpuSeconds);
}

async function compareTarget(
  target: StepTarget,
  build: () => tf.LayersModel,
  shape: number[],
  tol: { loss: number; grad: number; floor: number },
  data: { x: Float32Array; y: number[] },
  ref: StepResult & { weights: Float32Array[] },
  cpuSeconds: number,
): Promise<void> {
  const name = target.backend;
  const t1 = performance.now();
  await target.prepare();
  const got = await step(name, build, shape, ref.weights, data);
  const t2 = performance.now();
  assert.ok(Math.abs(got.loss - ref.loss) <= tol.loss * Math.abs(ref.loss), `loss ${name} ${got.loss} cpu ${ref.loss}`);
  assert.equal(got.grads.size, ref.grads.size);
  // Biases of convolutions followed by BatchNorm have a true gradient of 0 (BN removes any
  // constant); cpu and wasm both return rounding noise there, so the floor is relative to the
  // largest gradient rather than to the weight's own.
  const floor = tol.floor * Math.max(...[...ref.grads.values()].map((g) => l2(g)));
  let worst = 0;
  const failures: string[] = [];
  for (const [weight, g] of ref.grads) {
    const w = got.grads.get(weight);
    assert.ok(w, `gradient for ${weight} on ${name}`);
    const err = l2(w, g);
    if (l2(g) > 10 * floor) worst = Math.max(worst, err / l2(g));
    if (err > tol.grad * l2(g) + floor) failures.push(`${weight}: |${name} - cpu| = ${err}, |cpu| = ${l2(g)}`);
  }
  assert.deepEqual(failures, [], 'gradients outside tolerance');
  // A check that can fail: the gradients are not all zero.
  assert.ok(
    [...ref.grads.values()].some((g) => l2(g) > 1e-4),
    'non-trivial gradients',
  );
  console.log(
    `max relative gradient difference (|g| > 1e-4) ${worst.toExponential(2)}, loss cpu ${ref.loss} ${name} ${got.loss}; ` +
      `step cpu ${cpuSeconds.toFixed(1)} s, ${name} ${((t2 - t1) / 1000).toFixed(1)} s`,
  );
}
