/**
 * What a device with limits and errors of its own (WebGPU) makes the core do, without a device:
 * the batch-limit arithmetic on a small model by hand; with a fake engine on cpu, training
 * refuses a batch over the limit naming it, inference splits into batches that fit, and a device
 * error during a batch stops training with nothing saved from that batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchLimit, largestActivation } from '../../../src/engine/webgpu/batch-limits';
import { registerEngine, unregisterEngine } from '../../../src/engine/capabilities';
import { DeviceFailedError, trainResnet50 } from '../../../src/train';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromTensors } from '../../../src/data/data-source';
import { evaluateModel } from '../../../src/evaluation/verify';
import { predict } from '../../../src/evaluation/predict';
import { tinyData, tinyModel } from '../../helpers/tiny';

test('largestActivation / batchLimit: the biggest layer output per image against the smaller of the two limits, by hand', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel(1); // 8x8x1 -> conv 8x8x4 -> BN -> relu -> flatten 256 -> dense 3
  const big = largestActivation(model);
  assert.equal(big.bytesPerImage, 8 * 8 * 4 * 4);
  assert.match(big.layer, /^conv2d/); // the first of the 8x8x4 layers: the conv, not its BN or ReLU
  const byBinding = batchLimit(model, { maxStorageBufferBindingSize: 10_000, maxBufferSize: 2 ** 32 - 1 });
  assert.deepEqual(
    [byBinding.maxBatch, byBinding.limit, byBinding.limitBytes],
    [Math.floor(10_000 / 1024), 'maxStorageBufferBindingSize', 10_000],
  );
  const byBuffer = batchLimit(model, { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 5000 });
  assert.deepEqual([byBuffer.maxBatch, byBuffer.limit], [4, 'maxBufferSize']);
  model.dispose();
});

/** A cpu "device" that holds batches of at most 3 images of tinyModel. */
function withFakeLimit<T>(fn: () => Promise<T>): Promise<T> {
  registerEngine({
    name: 'fake-limit',
    servesBackend: (b) => b === 'cpu',
    capabilities: { batchLimit: (m) => batchLimit(m, { maxStorageBufferBindingSize: 3 * 1024, maxBufferSize: 2 ** 32 - 1 }) },
  });
  return fn().finally(() => unregisterEngine('fake-limit'));
}

test('training refuses a batch over the engine limit before the first step, naming the layer, the limit and what fits', async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(8, 3);
  const model = tinyModel(2);
  const before = model.getWeights().map((w) => w.dataSync().slice());
  await withFakeLimit(() =>
    assert.rejects(
      trainResnet50(fromTensors(xs, ys, { batchSize: 4 }), { model, epochs: 1, verbose: 0, validationData: null, optimizer: 'adam' }),
      /^Error: batch 4 does not fit the cpu device: layer conv2d\w*'s output would be 0\.0 MiB, over the adapter's maxStorageBufferBindingSize \(0\.0 MiB\); a batch of at most 3 fits$/,
    ),
  );
  model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i], 'no step was taken'));
  // Within the limit it trains.
  await withFakeLimit(() => trainResnet50(fromTensors(xs, ys, { batchSize: 3 }), { model, epochs: 1, verbose: 0, validationData: null }));
  model.dispose();
  tf.dispose([xs, ys]);
});

test('verify and predict split their batches to fit the engine limit, with the same results', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel(4);
  const { xs, ys } = tinyData(10, 5);
  const pixels = xs.dataSync();
  const labels = Array.from(ys.argMax(-1).dataSync());
  const facial = {
    count: () => 10,
    labels: () => Uint8Array.from(labels),
    batch: (_: string, idx: ArrayLike<number>) => ({
      xs: tf.gather(xs, Array.from(idx)) as tf.Tensor4D,
      ys: tf.gather(ys, Array.from(idx)) as tf.Tensor2D,
    }),
  };
  const sizes: number[] = [];
  const plain = (await evaluateModel(model, facial as never, ['test'], { batchSize: 8 })).test!;
  const split = (
    await withFakeLimit(() => evaluateModel(model, facial as never, ['test'], { batchSize: 8, onBatch: (_s, done) => sizes.push(done) }))
  ).test!;
  assert.deepEqual(Array.from(split.yPred), Array.from(plain.yPred));
  assert.deepEqual(sizes, [3, 6, 9, 10], 'batches of 3 (the limit), not 8');
  const images = Array.from({ length: 5 }, (_, i) => ({
    data: Uint8Array.from(pixels.slice(i * 64, (i + 1) * 64), (v) => Math.round((v + 0.5) * 255)),
    width: 8,
    height: 8,
    channels: 1 as const,
  }));
  const a = await predict(model, images, { batchSize: 5 });
  const done: number[] = [];
  const b = await withFakeLimit(() => predict(model, images, { batchSize: 5, onProgress: (d) => done.push(d) }));
  assert.deepEqual(b, a);
  assert.deepEqual(done, [3, 5]);
  model.dispose();
  tf.dispose([xs, ys]);
});

test('a device error during a batch stops training: DeviceFailedError names the batch and the error, and nothing is saved from it', async () => {
  await tf.setBackend('cpu');
  const { xs, ys } = tinyData(8, 3);
  const model = tinyModel(6);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'device-error-'));
  let batches = 0;
  registerEngine({
    name: 'fake-oom',
    servesBackend: (b) => b === 'cpu',
    capabilities: { takeDeviceError: () => (++batches === 6 ? 'GPUOutOfMemoryError: Out of memory while allocating a buffer' : null) },
  });
  try {
    // 4 batches an epoch: the 6th check is epoch 2, batch 2.
    const err = await trainResnet50(fromTensors(xs, ys, { batchSize: 2 }), {
      model,
      epochs: 3,
      verbose: 0,
      validationData: null,
      savePrefix: path.join(dir, 'p'),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DeviceFailedError, String(err));
    assert.deepEqual([err.epoch, err.batch], [1, 1]);
    assert.match(
      err.message,
      /^training stopped at epoch 2, batch 2 \(index 1\): the cpu device reported an error \(GPUOutOfMemoryError: Out of memory while allocating a buffer\); the device ran out of memory: use a smaller batch; nothing was saved from it; the last good model is in .*p_state/,
    );
    assert.ok(!fs.existsSync(path.join(dir, 'p_model.json')), 'no final model from the failed run');
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'p_state', 'state.json'), 'utf8')) as { nextEpoch: number; nextBatch: number };
    assert.deepEqual([state.nextEpoch, state.nextBatch], [1, 0], 'the state is the end of epoch 1, not the failed batch');
  } finally {
    unregisterEngine('fake-oom');
    model.dispose();
    tf.dispose([xs, ys]);
  }
});
