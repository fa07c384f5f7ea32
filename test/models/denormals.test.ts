/**
 * Subnormal weights zeroed (src/models/denormals.ts): in an array, on the device, in an Adam
 * state, in a resume state's file, by the training step every SUBNORMAL_FLUSH_STEPS steps and by
 * loadModel, the last two only where the engine says subnormals are slow (a fake engine on cpu).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FLT_MIN, flushSubnormals, flushTrainingVariables, flushVariables } from '../../src/models/denormals';
import { registerEngine, unregisterEngine } from '../../src/engine/capabilities';
import { makeTrainStep, SUBNORMAL_FLUSH_STEPS } from '../../src/training/step';
import { flushStateSubnormals, loadTrainState, saveTrainState } from '../../src/training/train-state';
import { loadModel, saveModel } from '../../src/io/model-io';
import { tinyData, tinyModel } from '../helpers/tiny';

const SUB = 1e-40; // subnormal in float32 (stored as 9.99995e-41)
const subnormal = (x: number) => x !== 0 && Math.abs(x) < FLT_MIN;

async function withSlowSubnormals<T>(fn: () => Promise<T>): Promise<T> {
  registerEngine({ name: 'fake-slow-subnormals', servesBackend: (b) => b === 'cpu', capabilities: { slowSubnormals: true } });
  try {
    return await fn();
  } finally {
    unregisterEngine('fake-slow-subnormals');
  }
}

/** tinyModel with its dense kernel's first two entries set to a subnormal and to 0.25. */
function modelWithSubnormal(): tf.LayersModel {
  const model = tinyModel(5);
  const kernel = model.layers[model.layers.length - 1].getWeights()[0];
  const values = kernel.dataSync().slice();
  values[0] = SUB;
  values[1] = 0.25;
  model.layers[model.layers.length - 1].setWeights([
    tf.tensor(values, kernel.shape),
    model.layers[model.layers.length - 1].getWeights()[1],
  ]);
  return model;
}

const denseKernel = (m: tf.LayersModel) => m.layers[m.layers.length - 1].getWeights()[0].dataSync();

test('flushSubnormals zeroes exactly the subnormal values, keeping their sign, and counts them', () => {
  const values = Float32Array.from([SUB, -SUB, 1.4e-45, FLT_MIN, -FLT_MIN, 0, -0, 1, NaN, Infinity, -3e-39]);
  assert.equal(flushSubnormals(values), 4);
  const expected = [0, -0, 0, Math.fround(FLT_MIN), -Math.fround(FLT_MIN), 0, -0, 1, NaN, Infinity, -0];
  expected.forEach((e, i) => assert.ok(Object.is(values[i], e), `[${i}] ${values[i]} is not ${e}`));
  // a view into a larger buffer is flushed in place, its neighbours untouched
  const whole = Float32Array.from([SUB, SUB, SUB]);
  assert.equal(flushSubnormals(whole.subarray(1, 2)), 1);
  assert.deepEqual([...whole].map(subnormal), [true, false, true]);
});

test('flushVariables zeroes subnormal float32 values on the device, leaves the rest and int32 variables alone, and leaks nothing', () => {
  tf.setBackend('cpu');
  const f = tf.variable(tf.tensor1d([SUB, -SUB, FLT_MIN, 0.5, -2]));
  const i = tf.variable(tf.tensor1d([1, 2], 'int32'));
  const before = tf.memory().numTensors;
  flushVariables([f, i]);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual([...f.dataSync()], [0, 0, Math.fround(FLT_MIN), 0.5, -2]);
  assert.deepEqual([...i.dataSync()], [1, 2]);
  tf.dispose([f, i]);
});

test("flushTrainingVariables reaches the model's weights and Adam's moments, and frees the iteration count getWeights makes", async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(6, 1);
  const model = tinyModel(2);
  const optimizer = tf.train.adam(0.01);
  await makeTrainStep(model, optimizer)(xs, ys); // creates the slots
  const slots = (await optimizer.getWeights()).slice(1).map((s) => s.tensor as tf.Variable);
  slots[0].assign(tf.fill(slots[0].shape, SUB));
  model.weights[0].write(tf.fill(model.weights[0].shape, SUB));
  const before = tf.memory().numTensors;
  await flushTrainingVariables(model, optimizer);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(slots[0].dataSync().every((v) => v === 0));
  assert.ok(
    model.weights[0]
      .read()
      .dataSync()
      .every((v) => v === 0),
  );
  assert.ok(
    slots[1].dataSync().some((v) => v !== 0),
    'normal moments are kept',
  );
  tf.dispose([xs, ys]);
});

test('the training step flushes every SUBNORMAL_FLUSH_STEPS steps where subnormals are slow, and never elsewhere', async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(6, 2);
  // learning rate 0: Adam leaves every weight where it is, so only a flush can change one
  const run = async (steps: number) => {
    const model = modelWithSubnormal();
    const step = makeTrainStep(model, tf.train.adam(0));
    for (let s = 0; s < steps; s++) await step(xs, ys);
    return denseKernel(model);
  };
  assert.ok(subnormal((await run(SUBNORMAL_FLUSH_STEPS))[0]), 'kept by an engine with fast subnormals');
  await withSlowSubnormals(async () => {
    assert.ok(subnormal((await run(SUBNORMAL_FLUSH_STEPS - 1))[0]), 'kept before the flush is due');
    const flushed = await run(SUBNORMAL_FLUSH_STEPS);
    assert.equal(flushed[0], 0);
    assert.equal(flushed[1], 0.25);
  });
  tf.dispose([xs, ys]);
});

test("flushStateSubnormals rewrites a resume state's file without its subnormal values; the state still resumes, the iteration count intact", async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(6, 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flush-state-'));
  try {
    const model = modelWithSubnormal();
    const optimizer = tf.train.adam(0);
    const step = makeTrainStep(model, optimizer);
    for (let s = 0; s < 3; s++) await step(xs, ys);
    const meta = { nextEpoch: 1, nextBatch: 0, step: 3, elapsedMs: 0, seq: 1, learningRate: 0, seed: 1, history: {}, callbacks: [] };
    await saveTrainState(path.join(dir, 's'), model, optimizer, { ...meta, epochSums: { loss: 0, acc: 0, seen: 0 } } as never);
    assert.equal(flushStateSubnormals(path.join(dir, 's')), 1);
    assert.equal(flushStateSubnormals(path.join(dir, 's')), 0, 'nothing left to flush');
    assert.deepEqual(fs.readdirSync(path.join(dir, 's')).sort(), ['state.json', 'weights.bin'], 'no staging file left behind');
    const resumed = tinyModel(9);
    const opt2 = tf.train.adam(0);
    await loadTrainState(path.join(dir, 's'), resumed, opt2);
    const k = denseKernel(resumed);
    assert.equal(k[0], 0);
    assert.deepEqual([...k.slice(1)], [...denseKernel(model).slice(1)]);
    const iter = (await opt2.getWeights())[0].tensor;
    assert.equal(iter.dataSync()[0], 3);
    iter.dispose();
    assert.equal(flushStateSubnormals(path.join(dir, 'none')), 0, 'no state: nothing to do');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    tf.dispose([xs, ys]);
  }
});

test('loadModel zeroes subnormal weights where they are slow and keeps them bit for bit elsewhere', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flush-load-'));
  try {
    await saveModel(modelWithSubnormal(), dir);
    assert.ok(subnormal(denseKernel(await loadModel(dir))[0]));
    const flushed = await withSlowSubnormals(() => loadModel(dir));
    assert.equal(denseKernel(flushed)[0], 0);
    assert.equal(denseKernel(flushed)[1], 0.25);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
