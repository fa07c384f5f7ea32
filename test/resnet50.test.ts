import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { resnet50, RESNET50_MIN_SIZE } from '../src/resnet50';

/** Weights of a Conv2D with bias: k*k*cin*cout kernel + cout bias (all trainable). */
const conv = (k: number, cin: number, cout: number) => k * k * cin * cout + cout;
/** A BatchNormalization over c channels: gamma, beta trainable; moving mean/variance not. */
const bn = (c: number) => ({ trainable: 2 * c, nonTrainable: 2 * c });

/** Parameter counts of Keras 2.1's ResNet50, written out from resnet50.py. */
function expectedCounts(channels: number, top: number /* dense units after avg_pool, 0 = none */) {
  let trainable = 0;
  let nonTrainable = 0;
  const addConv = (k: number, cin: number, cout: number) => {
    trainable += conv(k, cin, cout);
  };
  const addBn = (c: number) => {
    trainable += bn(c).trainable;
    nonTrainable += bn(c).nonTrainable;
  };
  addConv(7, channels, 64);
  addBn(64); // conv1, bn_conv1
  let cin = 64;
  const stages: Array<[number[], number]> = [
    [[64, 64, 256], 3],
    [[128, 128, 512], 4],
    [[256, 256, 1024], 6],
    [[512, 512, 2048], 3],
  ];
  for (const [[f1, f2, f3], blocks] of stages) {
    for (let b = 0; b < blocks; b++) {
      addConv(1, cin, f1);
      addBn(f1); // branch2a
      addConv(3, f1, f2);
      addBn(f2); // branch2b
      addConv(1, f2, f3);
      addBn(f3); // branch2c
      if (b === 0) {
        addConv(1, cin, f3);
        addBn(f3);
      } // branch1 projection (conv_block)
      cin = f3;
    }
  }
  if (top > 0) trainable += 2048 * top + top; // fc1000 on the flattened 1x1x2048 map
  return { trainable, nonTrainable };
}

function countOf(ws: tf.LayerVariable[]): number {
  return ws.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b as number), 1), 0);
}

function assertCounts(model: tf.LayersModel, expected: { trainable: number; nonTrainable: number }) {
  assert.equal(countOf(model.trainableWeights), expected.trainable, 'trainable');
  assert.equal(countOf(model.nonTrainableWeights), expected.nonTrainable, 'non-trainable');
  assert.equal(model.countParams(), expected.trainable + expected.nonTrainable, 'countParams');
}

test('setup', async () => {
  await tf.setBackend('cpu');
});

test('Keras documented totals: 3 channels, 1000 classes, 224 → 25,636,712 params, 53,120 non-trainable', () => {
  const m = resnet50({ inputShape: [224, 224, 3], classes: 1000 });
  // Keras's model.summary() of ResNet50 (and the keras.io applications table) give these.
  assert.equal(m.countParams(), 25636712);
  assert.equal(countOf(m.nonTrainableWeights), 53120);
  assertCounts(m, expectedCounts(3, 1000));
  m.dispose();
});

test('default 1-channel 7-way model at 200 and 224: counts and output shapes', () => {
  for (const side of [200, 224]) {
    const m = resnet50({ inputShape: [side, side, 1] });
    assert.deepEqual(m.outputs[0].shape, [null, 7]);
    assertCounts(m, expectedCounts(1, 7));
    // Keras's documented map sizes: 200 -> 100 -> 49 -> 25 -> 13 -> 7; 224 -> 112 -> 55 -> 28 -> 14 -> 7.
    const shapes = ['max_pooling2d_1', 'activation_10', 'activation_22', 'activation_40', 'activation_49'].map(
      (n) => m.getLayer(n).outputShape as number[],
    );
    const expected = side === 200 ? [49, 49, 25, 13, 7] : [55, 55, 28, 14, 7];
    assert.deepEqual(
      shapes.map((s) => s[1]),
      expected,
    );
    assert.deepEqual(m.getLayer('avg_pool').outputShape, [null, 1, 1, 2048]);
    m.dispose();
  }
});

test('includeTop false with pooling none / avg / max', () => {
  const none = resnet50({ inputShape: [200, 200, 1], includeTop: false });
  assert.deepEqual(none.outputs[0].shape, [null, 1, 1, 2048]);
  assertCounts(none, expectedCounts(1, 0));
  const avg = resnet50({ inputShape: [224, 224, 1], includeTop: false, pooling: 'avg' });
  assert.deepEqual(avg.outputs[0].shape, [null, 2048]);
  const max = resnet50({ inputShape: [224, 224, 1], includeTop: false, pooling: 'max' });
  assert.deepEqual(max.outputs[0].shape, [null, 2048]);
  assert.equal(max.layers[max.layers.length - 1].getClassName(), 'GlobalMaxPooling2D');
  [none, avg, max].forEach((m) => m.dispose());
});

test('Keras layer names and model.layers order (by-order loading depends on it)', () => {
  const m = resnet50({ inputShape: [200, 200, 1] });
  const names = m.layers.map((l) => l.name);
  // Order as printed by Keras's ResNet50 model.summary().
  assert.deepEqual(names.slice(0, 17), [
    'input_1',
    'conv1',
    'bn_conv1',
    'activation_1',
    'max_pooling2d_1',
    'res2a_branch2a',
    'bn2a_branch2a',
    'activation_2',
    'res2a_branch2b',
    'bn2a_branch2b',
    'activation_3',
    'res2a_branch2c',
    'res2a_branch1',
    'bn2a_branch2c',
    'bn2a_branch1',
    'add_1',
    'activation_4',
  ]);
  assert.deepEqual(names.slice(-4), ['activation_49', 'avg_pool', 'flatten_1', 'fc1000']);
  const weighted = m.layers.filter((l) => l.weights.length > 0);
  // conv1 + bn_conv1, 16 blocks x 3 (conv + bn), 4 projections (conv + bn), fc1000
  assert.equal(weighted.length, 2 + 2 * (16 * 3) + 2 * 4 + 1);
  assert.equal(new Set(names).size, names.length);
  const conv = m.getLayer('res3a_branch2a').getConfig();
  assert.deepEqual(conv.strides, [2, 2]);
  assert.equal(conv.useBias, true);
  assert.deepEqual(m.getLayer('res2a_branch1').getConfig().strides, [1, 1]);
  assert.equal(m.getLayer('conv1').getConfig().padding, 'same');
  const bnc = m.getLayer('bn5c_branch2c').getConfig();
  assert.equal(bnc.momentum, 0.99);
  assert.equal(bnc.epsilon, 1e-3);
  m.dispose();
});

test('inputs below the minimum are an error that states it', () => {
  assert.equal(RESNET50_MIN_SIZE, 197);
  resnet50({ inputShape: [197, 197, 1] }).dispose();
  assert.throws(() => resnet50({ inputShape: [196, 196, 1] }), /at least 197/);
  assert.throws(() => resnet50({ inputShape: [200, 48, 1] }), /200x48.*at least 197/);
});

test("head 'seed': fc1000 softmax -> LeakyReLU -> Dense(128) -> LeakyReLU -> Dense(7) -> softmax", () => {
  const m = resnet50({ inputShape: [200, 200, 1], head: 'seed' });
  assert.deepEqual(m.outputs[0].shape, [null, 7]);
  const base = expectedCounts(1, 1000);
  assertCounts(m, { trainable: base.trainable + (1000 * 128 + 128) + (128 * 7 + 7), nonTrainable: base.nonTrainable });
  const tail = m.layers.slice(-6).map((l) => l.getClassName());
  assert.deepEqual(tail, ['Dense', 'LeakyReLU', 'Dense', 'LeakyReLU', 'Dense', 'Activation']);
  assert.equal((m.layers[m.layers.length - 5].getConfig() as { alpha: number }).alpha, 0.3);
  const withDrop = resnet50({ inputShape: [200, 200, 1], head: 'seed', headDropout: true });
  assert.deepEqual(
    withDrop.layers.slice(-8).map((l) => l.getClassName()),
    ['Dense', 'LeakyReLU', 'Dropout', 'Dense', 'LeakyReLU', 'Dropout', 'Dense', 'Activation'],
  );
  assert.deepEqual(
    withDrop.layers.filter((l) => l.getClassName() === 'Dropout').map((l) => (l.getConfig() as { rate: number }).rate),
    [0.3, 0.4],
  );
  assert.equal(withDrop.countParams(), m.countParams());
  assert.throws(() => resnet50({ inputShape: [200, 200, 1], head: 'seed', includeTop: false }), /includeTop/);
  assert.throws(() => resnet50({ inputShape: [200, 200, 1], head: 'seed', classes: 7 }), /classes must be 1000/);
  m.dispose();
  withDrop.dispose();
});

test('seed makes initialisation reproducible', () => {
  const a = resnet50({ inputShape: [200, 200, 1], seed: 42 });
  const b = resnet50({ inputShape: [200, 200, 1], seed: 42 });
  const c = resnet50({ inputShape: [200, 200, 1], seed: 43 });
  for (const name of ['conv1', 'res4f_branch2b', 'fc1000']) {
    const [wa, wb, wc] = [a, b, c].map((m) => m.getLayer(name).getWeights()[0].dataSync());
    assert.deepEqual(wa, wb, `${name} same seed`);
    assert.notDeepEqual(wa, wc, `${name} other seed`);
  }
  [a, b, c].forEach((m) => m.dispose());
});

test('forward pass of one tiny batch gives probabilities (wasm, 200x200; cpu takes ~20 s)', async () => {
  await tf.setBackend('wasm');
  const m = resnet50({ inputShape: [200, 200, 1], seed: 1 });
  const before = tf.memory().numTensors;
  const p = tf.tidy(() => m.predict(tf.randomUniform([1, 200, 200, 1], -0.5, 0.5, 'float32', 3)) as tf.Tensor);
  assert.deepEqual(p.shape, [1, 7]);
  const v = Array.from(p.dataSync());
  assert.ok(Math.abs(v.reduce((s, x) => s + x, 0) - 1) < 1e-5);
  p.dispose();
  assert.equal(tf.memory().numTensors, before);
  m.dispose();
  await tf.setBackend('cpu');
});
