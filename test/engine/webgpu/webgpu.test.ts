/**
 * The WebGPU engine against the cpu backend, from the same initial weights, tiny shapes: every
 * layer kind of the two ResNet-50s (forward and gradients), one training step of raghakot's
 * ResNet-50 (Keras's is in ../step.slow.test.ts, which shares one slow cpu step between wasm and
 * webgpu), prediction (plain and BN-folded), verify's scores, the batch limit, the CLI end to end.
 * One file, so the shaders tfjs compiles (seconds each on a software adapter) are shared.
 * In CI these must run (see helpers/webgpu.ts); .ci/run installs Mesa's lavapipe for an adapter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { compareStep, smallModel } from '../../helpers/step-compare';
import { needWebGpu, WEBGPU_TARGET } from '../../helpers/webgpu';
import { ROOT } from '../../helpers/paths';
import { batchNormalization } from '../../../src/models/batch-normalization';
import { resnet50 } from '../../../src/resnet50';
import { resnet50AnySize } from '../../../src/resnet50-anysize';
import { compileForInference } from '../../../src/models/inference';
import { loadPretrained } from '../../../src/io/pretrained';
import { predict, Prediction } from '../../../src/evaluation/predict';
import { evaluateModel } from '../../../src/evaluation/verify';
import { Facial, SAMPLE_CSV_PATH } from '../../../src/facial';
import { DeviceFailedError, trainResnet50 } from '../../../src/train';
import { tinyData, tinyModel } from '../../helpers/tiny';
import { fromTensors } from '../../../src/data/data-source';
import { batchLimit } from '../../../src/engine/webgpu/batch-limits';
import { webGpuLimits } from '../../../src/engine/webgpu';

/**
 * The layer kinds smallModel leaves out: zero padding, valid strided conv, the project's BN, valid max and average pooling,
 * flatten, and the seed's head (a softmax, then LeakyReLU, dropout and dense layers).
 */
function paddedModel(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  const inp = tf.input({ shape: [17, 17, 1] });
  let h = tf.layers.zeroPadding2d({ padding: [3, 3] }).apply(inp) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 6, kernelSize: 7, strides: 2, kernelInitializer: init(1) }).apply(h) as tf.SymbolicTensor;
  h = batchNormalization({ axis: 3, momentum: 0.99, epsilon: 1e-3 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.averagePooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 12, activation: 'softmax', kernelInitializer: init(3) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.leakyReLU({ alpha: 0.3 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.3, seed: 11 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .dense({ units: 7, activation: 'softmax', kernelInitializer: init(2), kernelRegularizer: tf.regularizers.l2({ l2: 1e-2 }) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: h });
}

test('conv (7x7/2 same, 3x3, 1x1/2), BN, ReLU, max pool, add, global average pool, dense + L2: one step on webgpu equals cpu', async (t) => {
  if (!(await needWebGpu(t))) return;
  await compareStep(() => smallModel(3), [3, 13, 13, 3], { loss: 1e-5, grad: 1e-3, floor: 1e-6 }, WEBGPU_TARGET);
});

test('zero padding, valid 7x7/2 conv, the library BN layer, valid max/average pools, flatten, the seed head (softmax, LeakyReLU, dropout, dense): webgpu equals cpu', async (t) => {
  if (!(await needWebGpu(t))) return;
  await compareStep(() => paddedModel(5), [3, 17, 17, 1], { loss: 1e-5, grad: 1e-3, floor: 1e-6 }, WEBGPU_TARGET);
});

test('resnet50AnySize at 32x32, batch 2: one step on webgpu equals cpu', async (t) => {
  if (!(await needWebGpu(t))) return;
  await compareStep(
    () => resnet50AnySize({ inputShape: [32, 32, 1], seed: 3 }),
    [2, 32, 32, 1],
    { loss: 5e-3, grad: 5e-2, floor: 1e-2 },
    WEBGPU_TARGET,
  );
});

test('the shipped model: predict (plain and BN-folded) and verify on webgpu equal cpu', async (t) => {
  if (!(await needWebGpu(t))) return;
  const face = path.join(ROOT, 'examples', 'browser', 'face.png');
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const { model } = await loadPretrained();
    const [p] = (await predict(model, [face])) as Prediction[];
    const facial = await Facial.load({ csvPath: SAMPLE_CSV_PATH, splits: ['test'], compact: true, limit: 16 });
    const r = (await evaluateModel(model, facial, ['test'])).test!;
    const folded = compileForInference(model);
    const xs = tf.tidy(() => tf.randomUniform([2, 48, 48, 1], -0.5, 0.5, 'float32', 7));
    const y = folded.predict(xs);
    const foldedOut = await y.data();
    tf.dispose([xs, y]);
    folded.dispose();
    model.dispose();
    return { probs: p.probabilities, predicted: Array.from(r.yPred), foldedOut };
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  cpu.probs.forEach((v, i) => assert.ok(Math.abs(v - gpu.probs[i]) < 1e-4, `probability ${i}: cpu ${v} webgpu ${gpu.probs[i]}`));
  assert.deepEqual(gpu.predicted, cpu.predicted);
  cpu.foldedOut.forEach((v, i) =>
    assert.ok(Math.abs(v - gpu.foldedOut[i]) < 1e-4, `folded output ${i}: cpu ${v} webgpu ${gpu.foldedOut[i]}`),
  );
});

test("the batch limit at 200x200 is computed from the device's limits, the seed's 50 fits, one more than the limit is refused naming it", async (t) => {
  if (!(await needWebGpu(t))) return;
  await tf.setBackend('webgpu');
  const limits = webGpuLimits()!;
  const model = resnet50({ inputShape: [200, 200, 1], head: 'seed', headDropout: true, seed: 1 });
  // The largest outputs per image are 100x100x64 floats (conv1 and its BN/ReLU; stage 2's 50x50x256 ties): the first is named.
  const lim = batchLimit(model, limits);
  assert.equal(lim.layer, 'conv1');
  assert.equal(lim.bytesPerImage, 100 * 100 * 64 * 4);
  const bytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  assert.equal(lim.maxBatch, Math.floor(bytes / (100 * 100 * 64 * 4)));
  assert.ok(lim.maxBatch >= 50, "the seed's batch of 50 fits");
  const n = lim.maxBatch + 1;
  const xs = tf.zeros([n, 200, 200, 1]) as tf.Tensor4D;
  const ys = tf.oneHot(tf.zeros([n], 'int32'), 7).toFloat() as tf.Tensor2D;
  await assert.rejects(
    trainResnet50(fromTensors(xs, ys, { batchSize: n }), { model, epochs: 1, verbose: 0, validationData: null }),
    new RegExp(
      `batch ${n} does not fit the webgpu device: layer ${lim.layer}'s output .* over the adapter's ${lim.limit} .*; a batch of at most ${lim.maxBatch} fits`,
    ),
  );
  tf.dispose([xs, ys]);
  model.dispose();
});

test("the device's own errors, which tfjs ignores, stop training and verify with the error named", async (t) => {
  if (!(await needWebGpu(t))) return;
  await tf.setBackend('webgpu');
  const device = (tf.backend() as unknown as { device: { createBuffer(d: { size: number; usage: number }): unknown } }).device;
  // What an out-of-memory allocation would do, made with an invalid buffer: an uncaptured GPUValidationError.
  const provoke = async () => {
    device.createBuffer({ size: 4, usage: 0 });
    await new Promise((r) => setTimeout(r, 100));
  };
  const { xs, ys } = tinyData(6, 2);
  const model = tinyModel(3);
  await assert.rejects(
    trainResnet50(fromTensors(xs, ys, { batchSize: 2 }), {
      model,
      epochs: 1,
      verbose: 0,
      validationData: null,
      callbacks: [{ onBatchEnd: async (batch: number) => (batch === 1 ? provoke() : undefined) }],
    }),
    (e: Error) =>
      e instanceof DeviceFailedError &&
      /^training stopped at epoch 1, batch 2 \(index 1\): the webgpu device reported an error \(GPUValidationError: Buffer usages must not be 0\.\)/.test(
        e.message,
      ),
  );
  await provoke();
  const facial = { count: () => 6, labels: () => new Uint8Array(6), batch: () => ({ xs: xs.clone(), ys: ys.clone() }) };
  await assert.rejects(
    evaluateModel(model, facial as never, ['test']),
    /^Error: evaluateModel \(test\): the webgpu device reported an error \(GPUValidationError/,
  );
  // Reported once: the next call runs.
  assert.equal((await evaluateModel(model, facial as never, ['test'])).test!.support, 6);
  model.dispose();
  tf.dispose([xs, ys]);
});

const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
const tsNode = require.resolve('ts-node/register/transpile-only');
const runCli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['-r', tsNode, cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env },
  });

test('facial train --backend webgpu end to end on a few rows of the sample', async (t) => {
  if (!(await needWebGpu(t))) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgpu-train-'));
  const prefix = path.join(dir, 'p');
  const r = runCli(
    ['train', '--model', 'resnet50-anysize', '--image_size', '32', '--limit', '4', '--batch_size', '2', '--epochs', '1'].concat([
      '--optimizer',
      'adam',
      '--seed',
      '1',
      '--backend',
      'webgpu',
      '--save_prefix',
      prefix,
      '--quiet',
    ]),
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /facial: using backend webgpu on .*adapter/);
  assert.match(r.stdout, /\| Testing +\| \d+\.\d\d/);
  const log = fs.readFileSync(`${prefix}_log.csv`, 'utf8').trim().split('\n');
  assert.equal(log.length, 2, 'a header and one epoch');
  const loss = Number(log[1].split(',')[log[0].split(',').indexOf('loss')]);
  assert.ok(Number.isFinite(loss) && loss > 0, `epoch loss ${loss}`);
  for (const f of ['_model.json', '_weights.h5']) assert.ok(fs.existsSync(prefix + f), f);
});

test('facial verify and facial report --backend webgpu: the same table as on cpu, and the report written', async (t) => {
  if (!(await needWebGpu(t))) return;
  const args = ['--limit', '8', '--splits', 'validation,test'];
  const gpu = runCli(['verify', ...args, '--backend', 'webgpu']);
  assert.equal(gpu.status, 0, gpu.stderr);
  const cpu = runCli(['verify', ...args, '--backend', 'cpu']);
  assert.equal(cpu.status, 0, cpu.stderr);
  assert.match(gpu.stdout, /\| Testing +\| \d+\.\d\d/);
  assert.equal(gpu.stdout, cpu.stdout);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'webgpu-report-'));
  const r = runCli(['report', '--limit', '8', '--splits', 'test', '--out', out, '--backend', 'webgpu']);
  assert.equal(r.status, 0, r.stderr);
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  assert.match(html, /confusion/i);
  assert.ok(
    fs.readdirSync(out).some((f) => f.endsWith('.png')),
    'the charts',
  );
});

test(
  'no WebGPU adapter: --backend webgpu fails naming what is missing (no Vulkan driver here)',
  { skip: process.platform !== 'linux' },
  async (t) => {
    if (!(await needWebGpu(t))) return; // webgpu installed and working otherwise, so only the driver is taken away
    const r = runCli(['predict', path.join(ROOT, 'examples', 'browser', 'face.png'), '--backend', 'webgpu'], {
      VK_ICD_FILENAMES: '/nonexistent.json',
    });
    assert.equal(r.status, 1, r.stdout);
    assert.match(
      r.stderr,
      /backend 'webgpu' is not available: webgpu: no WebGPU adapter: Dawn found no usable GPU; it needs a Vulkan driver/,
    );
  },
);
