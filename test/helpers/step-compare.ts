/**
 * A whole training step (training-mode forward, cross-entropy + L2 losses, gradients of every
 * trainable weight) gives the same loss and gradients on wasm with the training kernels as on
 * the cpu backend with tfjs's own kernels and gradients.
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

const tfjsGradients = [tf.getGradient('FusedBatchNorm'), tf.getGradient('Mean')];

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
  const start = model.weights.map((w) => w.read().dataSync() as Float32Array);
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
  vars.forEach((v, i) => result.set(`#${i} (${model.trainableWeights[i].shape})`, grads[v.name].dataSync() as Float32Array));
  const loss = value.dataSync()[0];
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
): Promise<void> {
  const data = batchFor(shape, 5);
  for (const g of tfjsGradients) tf.registerGradient(g);
  const ref = await step('cpu', build, shape, null, data);
  registerWasmTrainingKernels();
  tf.registerGradient(fusedBatchNormGradConfig);
  tf.registerGradient(meanGradConfig);
  const got = await step('wasm', build, shape, ref.weights, data);
  assert.ok(Math.abs(got.loss - ref.loss) <= tol.loss * Math.abs(ref.loss), `loss wasm ${got.loss} cpu ${ref.loss}`);
  assert.equal(got.grads.size, ref.grads.size);
  // Biases of convolutions followed by BatchNorm have a true gradient of 0 (BN removes any
  // constant); cpu and wasm both return rounding noise there, so the floor is relative to the
  // largest gradient rather than to the weight's own.
  const floor = tol.floor * Math.max(...[...ref.grads.values()].map((g) => l2(g)));
  let worst = 0;
  const failures: string[] = [];
  for (const [name, g] of ref.grads) {
    const w = got.grads.get(name);
    assert.ok(w, `gradient for ${name} on wasm`);
    const err = l2(w, g);
    if (l2(g) > 10 * floor) worst = Math.max(worst, err / l2(g));
    if (err > tol.grad * l2(g) + floor) failures.push(`${name}: |wasm - cpu| = ${err}, |cpu| = ${l2(g)}`);
  }
  assert.deepEqual(failures, [], 'gradients outside tolerance');
  // A check that can fail: the gradients are not all zero.
  assert.ok(
    [...ref.grads.values()].some((g) => l2(g) > 1e-4),
    'non-trivial gradients',
  );
  console.log(`max relative gradient difference (|g| > 1e-4) ${worst.toExponential(2)}, loss cpu ${ref.loss} wasm ${got.loss}`);
}
