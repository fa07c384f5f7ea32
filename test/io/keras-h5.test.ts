import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadKerasWeights, saveKerasWeights } from '../../src/io/keras-h5';
import { resnet50AnySize } from '../../src/resnet50-anysize';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-h5-'));
const at = (name: string) => path.join(dir, name);

/** A Keras-named model with the layer kinds ResNet uses: conv (bias), BN (non-trainable stats), dense. */
function smallModel(seed: number, opts: { convFilters?: number; extraDense?: boolean } = {}): tf.LayersModel {
  const init = (s: number) => tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed * 100 + s });
  const input = tf.input({ shape: [6, 6, 1], name: 'input_1' });
  let x = tf.layers
    .conv2d({ filters: opts.convFilters ?? 3, kernelSize: 3, name: 'conv1', kernelInitializer: init(1), biasInitializer: init(2) })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers
    .batchNormalization({
      name: 'bn_conv1',
      gammaInitializer: init(3),
      betaInitializer: init(4),
      movingMeanInitializer: init(5),
      movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: seed * 100 + 6 }),
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'activation_1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten_1' }).apply(x) as tf.SymbolicTensor;
  if (opts.extraDense) x = tf.layers.dense({ units: 5, name: 'dense_extra', kernelInitializer: init(9) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: 7, activation: 'softmax', name: 'fc1000', kernelInitializer: init(7), biasInitializer: init(8) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

function predict(model: tf.LayersModel, x: tf.Tensor): number[] {
  return tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
}

/** Copies of every weight, compared bytewise (fast and exact even for ResNet-50's 23M floats). */
function snapshot(model: tf.LayersModel): Buffer[] {
  return model.weights.map((w) => Buffer.from((w.read().dataSync() as Float32Array).slice().buffer));
}

function assertSameWeights(a: Buffer[], b: Buffer[], label = '') {
  assert.equal(a.length, b.length, label);
  a.forEach((buf, i) => assert.ok(buf.equals(b[i]), `${label} weight #${i} differs`));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- h5wasm's ES module typings are not reachable from CommonJS tests
async function h5(): Promise<any> {
  const h5wasm = await import('h5wasm/node');
  await h5wasm.ready;
  return h5wasm;
}

/**
 * Writes a Keras-layout file with h5wasm directly (not through saveKerasWeights), the way
 * Keras 2.1's save_weights_to_hdf5_group does: fixed-length byte strings, every layer listed,
 * weightless layers with an empty weight_names, datasets at 'layer/name:0' inside the group.
 */
async function writeByHand(file: string, model: tf.LayersModel, opts: { nested?: boolean; chunked?: boolean; order?: string[] } = {}) {
  const h5wasm = await h5();
  const f = new h5wasm.File(file, 'w');
  const root = opts.nested ? f.create_group('model_weights') : f;
  if (opts.nested) f.create_attribute('model_config', '{"class_name": "Model"}', null, 'S23');
  const names = opts.order ?? model.layers.map((l) => l.name);
  const width = `S${Math.max(...names.map((n) => n.length))}`;
  if (opts.chunked) {
    root.create_attribute('layer_names0', names.slice(0, 2), [2], width);
    root.create_attribute('layer_names1', names.slice(2), [names.length - 2], width);
  } else {
    root.create_attribute('layer_names', names, [names.length], width);
  }
  root.create_attribute('backend', 'tensorflow', null, 'S10');
  root.create_attribute('keras_version', '2.1.2', null, 'S5');
  for (const name of names) {
    const layer = model.getLayer(name);
    const g = root.create_group(name);
    const short = ['kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'];
    const wnames = layer.weights.map((w) => `${name}/${short.find((s) => w.originalName.endsWith(`/${s}`))}:0`);
    g.create_attribute('weight_names', wnames, [wnames.length], `S${Math.max(1, ...wnames.map((n) => n.length))}`);
    if (wnames.length > 0) {
      const sub = g.create_group(name);
      // getWeights() returns the variables' own tensors: read, never dispose.
      layer.getWeights().forEach((t, i) => {
        sub.create_dataset({ name: wnames[i].split('/')[1], data: t.dataSync(), shape: t.shape, dtype: '<f' });
      });
    }
  }
  f.close();
}

const x = tf.tidy(() => tf.randomUniform([4, 6, 6, 1], -0.5, 0.5, 'float32', 11));

test('setup', async () => {
  await tf.setBackend('cpu');
});

test('a hand-made Keras-layout file loads by order and gives the source predictions exactly', async () => {
  const source = smallModel(1);
  await writeByHand(at('hand.h5'), source);
  const target = smallModel(2);
  assert.notDeepEqual(predict(target, x), predict(source, x));
  const res = await loadKerasWeights(target, at('hand.h5'));
  assert.deepEqual(res.loaded, ['conv1', 'bn_conv1', 'fc1000']);
  assert.deepEqual(predict(target, x), predict(source, x));
  assertSameWeights(snapshot(target), snapshot(source));
});

test('a full-model file (weights under /model_weights) and chunked layer_names load too', async () => {
  const source = smallModel(3);
  await writeByHand(at('full.h5'), source, { nested: true });
  await writeByHand(at('chunked.h5'), source, { chunked: true });
  for (const f of ['full.h5', 'chunked.h5']) {
    const target = smallModel(4);
    await loadKerasWeights(target, at(f));
    assert.deepEqual(predict(target, x), predict(source, x), f);
  }
});

test('saveKerasWeights writes the Keras layout (read back with h5wasm) and round-trips', async () => {
  const source = smallModel(5);
  await saveKerasWeights(source, at('saved.h5'));
  assert.deepEqual(
    fs.readdirSync(dir).filter((n) => n.includes('.tmp-')),
    [],
  );
  const h5wasm = await h5();
  const f = new h5wasm.File(at('saved.h5'), 'r');
  assert.deepEqual(f.attrs.layer_names.value, ['input_1', 'conv1', 'bn_conv1', 'activation_1', 'flatten_1', 'fc1000']);
  assert.equal(f.attrs.layer_names.dtype, 'S12'); // fixed-length bytes: Keras calls n.decode('utf8')
  assert.equal(f.attrs.backend.value, 'tensorflow');
  assert.deepEqual(f.get('bn_conv1').attrs.weight_names.value, [
    'bn_conv1/gamma:0',
    'bn_conv1/beta:0',
    'bn_conv1/moving_mean:0',
    'bn_conv1/moving_variance:0',
  ]);
  assert.deepEqual(f.get('activation_1').attrs.weight_names.value, []);
  const kernel = f.get('conv1/conv1/kernel:0');
  assert.deepEqual(kernel.shape, [3, 3, 1, 3]);
  assert.deepEqual(Array.from(kernel.value), Array.from(source.getLayer('conv1').getWeights()[0].dataSync()));
  f.close();

  const target = smallModel(6);
  await loadKerasWeights(target, at('saved.h5'));
  assert.deepEqual(predict(target, x), predict(source, x));
  const byName = smallModel(7);
  await loadKerasWeights(byName, at('saved.h5'), { byName: true });
  assert.deepEqual(predict(byName, x), predict(source, x));
});

test('the any-size ResNet-50 round-trips through .h5 by order and by name', async () => {
  const source = resnet50AnySize({ inputShape: [32, 32, 1], seed: 1 });
  await saveKerasWeights(source, at('anysize.h5'));
  const target = resnet50AnySize({ inputShape: [32, 32, 1], seed: 2 });
  const xs = tf.randomUniform([1, 32, 32, 1], -0.5, 0.5, 'float32', 2);
  await loadKerasWeights(target, at('anysize.h5'));
  assert.deepEqual(predict(target, xs), predict(source, xs));
  const named = resnet50AnySize({ inputShape: [48, 48, 1], seed: 3 }); // another size, same weights
  const res = await loadKerasWeights(named, at('anysize.h5'), { byName: true });
  assert.equal(res.loaded.length, named.layers.filter((l) => l.weights.length > 0).length);
  assertSameWeights(snapshot(named), snapshot(source));
  tf.dispose(xs);
  [source, target, named].forEach((m) => m.dispose());
  fs.rmSync(at('anysize.h5'));
});

test('byName loads matching layers, whatever their order, and reports the rest', async () => {
  const source = smallModel(8);
  await writeByHand(at('reordered.h5'), source, { order: ['fc1000', 'input_1', 'bn_conv1', 'conv1'] });
  const target = smallModel(9, { extraDense: true, convFilters: 3 });
  const before = snapshot(target);
  // fc1000 of `target` sits on a 5-wide dense_extra: its kernel shape differs, so by name is an error...
  await assert.rejects(
    loadKerasWeights(target, at('reordered.h5'), { byName: true }),
    /model layer 'fc1000' weight .*kernel has shape \[5, 7\] but 'fc1000\/fc1000\/kernel:0' in .*reordered\.h5 has shape \[48, 7\]/,
  );
  assertSameWeights(snapshot(target), before);
  // ...while a model whose fc1000 matches loads the three layers in file order and keeps its own extra layer.
  const plain = smallModel(10);
  const res = await loadKerasWeights(plain, at('reordered.h5'), { byName: true });
  assert.deepEqual(res.loaded, ['conv1', 'bn_conv1', 'fc1000']);
  assert.deepEqual(predict(plain, x), predict(source, x));
});

test('every mismatch is an error naming layer/shape/file and leaves the model unchanged', async () => {
  const source = smallModel(12);
  await saveKerasWeights(source, at('src.h5'));
  fs.writeFileSync(at('text.h5'), 'this is not an HDF5 file\n'.repeat(100));
  const h5wasm = await h5();
  const notKeras = new h5wasm.File(at('plain.h5'), 'w');
  notKeras.create_dataset({ name: 'data', data: new Float32Array([1, 2]) });
  notKeras.close();

  const cases: Array<[string, tf.LayersModel, string, RegExp, boolean?]> = [
    [
      'extra layer',
      smallModel(13, { extraDense: true }),
      'src.h5',
      /src\.h5 holds 3 layers with weights but the model has 4 \(first difference at weighted layer #2: model 'dense_extra', file 'fc1000'\)/,
    ],
    [
      'wrong kernel shape',
      smallModel(14, { convFilters: 4 }),
      'src.h5',
      /weighted layer #0: model layer 'conv1' weight conv1\/kernel has shape \[3, 3, 1, 4\] but 'conv1\/conv1\/kernel:0' in .*src\.h5 has shape \[3, 3, 1, 3\]/,
    ],
    [
      'wrong kernel shape by name',
      smallModel(15, { convFilters: 4 }),
      'src.h5',
      /by name, model layer 'conv1' .*\[3, 3, 1, 4\].*\[3, 3, 1, 3\]/,
      true,
    ],
    ['not HDF5', smallModel(16), 'text.h5', /text\.h5 is not an HDF5 file/],
    ['not Keras', smallModel(17), 'plain.h5', /plain\.h5 is not a Keras weights file/],
    ['missing file', smallModel(18), 'nope.h5', /nope\.h5 does not exist/],
  ];
  for (const [label, model, file, pattern, byName] of cases) {
    const before = snapshot(model);
    await assert.rejects(loadKerasWeights(model, at(file), { byName }), pattern, label);
    assertSameWeights(snapshot(model), before, `${label}: model unchanged`);
  }

  // A missing layer (fewer weighted layers in the file than in the model) by order.
  const fewer = smallModel(19);
  await writeByHand(at('fewer.h5'), source, { order: ['input_1', 'conv1', 'bn_conv1'] });
  const before = snapshot(fewer);
  await assert.rejects(
    loadKerasWeights(fewer, at('fewer.h5')),
    /holds 2 layers with weights but the model has 3 \(extra model layer 'fc1000'/,
  );
  assertSameWeights(snapshot(fewer), before);
  // By name, a file sharing no layer name with the model is an error too.
  const other = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'zzz' })] });
  await assert.rejects(loadKerasWeights(other, at('src.h5'), { byName: true }), /no layer of .*src\.h5 matches a model layer by name/);
});

test('saving over an existing file replaces it whole', async () => {
  const a = smallModel(20);
  const b = smallModel(21);
  await saveKerasWeights(a, at('over.h5'));
  await saveKerasWeights(b, at('over.h5'));
  const target = smallModel(22);
  await loadKerasWeights(target, at('over.h5'));
  assert.deepEqual(predict(target, x), predict(b, x));
  fs.rmSync(dir, { recursive: true, force: true });
});
