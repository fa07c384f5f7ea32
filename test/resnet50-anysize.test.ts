import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resnet50AnySize } from '../src/resnet50-anysize';

/** Conv2D with bias: k*k*cin*cout kernel + cout bias. */
const conv = (k: number, cin: number, cout: number) => k * k * cin * cout + cout;

/** raghakot build_resnet_50 counts, written out from resnet.py; independent of the input side. */
function expectedCounts(channels: number, classes: number) {
  let trainable = 0;
  let nonTrainable = 0;
  const addBn = (c: number) => {
    trainable += 2 * c;
    nonTrainable += 2 * c;
  };
  trainable += conv(7, channels, 64);
  addBn(64); // _conv_bn_relu stem
  let cin = 64;
  [
    [64, 3],
    [128, 4],
    [256, 6],
    [512, 3],
  ].forEach(([f, reps], stage) => {
    for (let i = 0; i < reps; i++) {
      const firstOfAll = stage === 0 && i === 0;
      if (!firstOfAll) addBn(cin); // leading BN-ReLU of the block
      trainable += conv(1, cin, f);
      addBn(f);
      trainable += conv(3, f, f);
      addBn(f);
      trainable += conv(1, f, 4 * f);
      if (i === 0) trainable += conv(1, cin, 4 * f); // projection: channels (and stride) change, no BN
      cin = 4 * f;
    }
  });
  addBn(2048); // final BN-ReLU
  trainable += 2048 * classes + classes; // Dense on the pooled 1x1x2048
  return { trainable, nonTrainable };
}

function countOf(ws: tf.LayerVariable[]): number {
  return ws.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b as number), 1), 0);
}

test('setup', async () => {
  await tf.setBackend('cpu');
});

test('same weight count at 32, 48, 64 and 200; final map sizes as raghakot gives', () => {
  const expected = expectedCounts(1, 7);
  // 48 -> 24 -> 12 -> 12 -> 6 -> 3 -> 2 (UPSTREAM.md); the others by the same 'same'-padding halvings.
  const finalMap: Record<number, number> = { 32: 1, 48: 2, 64: 2, 200: 7 };
  const fourthStageIn: Record<number, number> = { 32: 2, 48: 3, 64: 4, 200: 13 };
  for (const side of [32, 48, 64, 200]) {
    const m = resnet50AnySize({ inputShape: [side, side, 1] });
    assert.deepEqual(m.outputs[0].shape, [null, 7], `output at ${side}`);
    assert.equal(countOf(m.trainableWeights), expected.trainable, `trainable at ${side}`);
    assert.equal(countOf(m.nonTrainableWeights), expected.nonTrainable, `non-trainable at ${side}`);
    assert.equal(m.countParams(), expected.trainable + expected.nonTrainable);
    const pool = m.layers.find((l) => l.getClassName() === 'AveragePooling2D')!;
    assert.deepEqual(pool.getConfig().poolSize, [finalMap[side], finalMap[side]], `pool at ${side}`);
    assert.deepEqual(pool.outputShape, [null, 1, 1, 2048]);
    const adds = m.layers.filter((l) => l.getClassName() === 'Add');
    assert.equal(adds.length, 16);
    // adds 0-2 stage 1, 3-6 stage 2, 7-12 stage 3, 13-15 stage 4
    assert.equal((adds[12].outputShape as number[])[1], fourthStageIn[side], `stage 3 map at ${side}`);
    assert.equal((adds[15].outputShape as number[])[1], finalMap[side], `final map at ${side}`);
    m.dispose();
  }
});

test('architecture details: pre-activation, no BN on shortcut, L2 on conv kernels only, he_normal', () => {
  const m = resnet50AnySize({ inputShape: [48, 48, 1] });
  const names = m.layers.map((l) => l.name);
  assert.equal(new Set(names).size, names.length);
  // Stem + first block: the first block's 1x1 conv follows the max pool directly (no BN-ReLU).
  assert.deepEqual(names.slice(0, 6), ['input_1', 'conv2d_1', 'batch_normalization_1', 'activation_1', 'max_pooling2d_1', 'conv2d_2']);
  const convs = m.layers.filter((l) => l.getClassName() === 'Conv2D');
  // 16 blocks x 3 convs + 4 projections + stem
  assert.equal(convs.length, 16 * 3 + 4 + 1);
  for (const c of convs) {
    const cfg = c.getConfig() as Record<string, unknown>;
    assert.equal(cfg.useBias, true);
    // Keras's l2(1e-4) is also an L1L2 with l1 = 0.
    assert.equal(cfg.kernelRegularizer.className, 'L1L2');
    assert.equal(cfg.kernelRegularizer.config.l1, 0);
    assert.ok(Math.abs(cfg.kernelRegularizer.config.l2 - 1e-4) < 1e-12);
    assert.equal(cfg.kernelInitializer.className, 'VarianceScaling');
    assert.equal(cfg.kernelInitializer.config.scale, 2);
    assert.equal(cfg.kernelInitializer.config.mode, 'fanIn');
  }
  // add([shortcut, residual]): the shortcut is a projection Conv2D exactly in the 4 first blocks,
  // else the previous block's Add; never a BatchNormalization. The residual ends in a Conv2D.
  const shortcutKinds: string[] = [];
  for (const add of m.layers.filter((l) => l.getClassName() === 'Add')) {
    const inbound = (add as unknown as { inboundNodes: Array<{ inboundLayers: unknown }> }).inboundNodes[0]
      .inboundLayers as tf.layers.Layer[];
    assert.equal(inbound[1].getClassName(), 'Conv2D');
    shortcutKinds.push(inbound[0].getClassName());
  }
  assert.deepEqual(shortcutKinds, [
    'Conv2D',
    'Add',
    'Add',
    'Conv2D',
    'Add',
    'Add',
    'Add',
    'Conv2D',
    'Add',
    'Add',
    'Add',
    'Add',
    'Add',
    'Conv2D',
    'Add',
    'Add',
  ]);
  const dense = m.layers[m.layers.length - 1].getConfig() as Record<string, unknown>;
  assert.equal(dense.activation, 'softmax');
  assert.equal(dense.kernelRegularizer, null);
  // Regularisation losses (what training adds to the loss): one per conv kernel, 1e-4 * sum(w^2).
  tf.tidy(() => {
    const losses = m.calculateLosses();
    assert.equal(losses.length, convs.length);
    const kernel = convs[0].getWeights()[0];
    const expected = 1e-4 * kernel.square().sum().dataSync()[0];
    assert.ok(Math.abs(losses[0].dataSync()[0] - expected) < 1e-6 * expected);
  });
  m.dispose();
});

test('seed reproduces weights; small forward pass gives probabilities without leaks', () => {
  const a = resnet50AnySize({ inputShape: [32, 32, 1], seed: 5 });
  const b = resnet50AnySize({ inputShape: [32, 32, 1], seed: 5 });
  const c = resnet50AnySize({ inputShape: [32, 32, 1], seed: 6 });
  for (const name of ['conv2d_1', 'conv2d_30', 'dense_1']) {
    const [wa, wb, wc] = [a, b, c].map((m) => m.getLayer(name).getWeights()[0].dataSync());
    assert.deepEqual(wa, wb);
    assert.notDeepEqual(wa, wc);
  }
  const before = tf.memory().numTensors;
  const x = tf.randomUniform([2, 32, 32, 1], -0.5, 0.5, 'float32', 1);
  const [pa, pb] = [a, b].map((m) => m.predict(x) as tf.Tensor);
  assert.deepEqual(pa.shape, [2, 7]);
  assert.deepEqual(pa.dataSync(), pb.dataSync());
  const sumT = pa.sum(1);
  const sums = Array.from(sumT.dataSync());
  sumT.dispose();
  sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
  tf.dispose([x, pa, pb]);
  assert.equal(tf.memory().numTensors, before);
  [a, b, c].forEach((m) => m.dispose());
});

test('inputs below 32 are an error that states the minimum', () => {
  assert.throws(() => resnet50AnySize({ inputShape: [31, 48, 1] }), /31x48.*at least 32/);
});
