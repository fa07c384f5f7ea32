import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { quantizeWeights } from '../../src/io/quantize';
import { fileSystemIO, loadModel, saveModel } from '../../src/io/model-io';
import { tinyModel } from '../helpers/tiny';

const specs: tf.io.WeightsManifestEntry[] = [
  { name: 'a', shape: [2, 2], dtype: 'float32' },
  { name: 'n', shape: [2], dtype: 'int32' },
];
const data = () => {
  const buf = new ArrayBuffer(24);
  new Float32Array(buf, 0, 4).set([-1, 0, 0.5, 3]);
  new Int32Array(buf, 16, 2).set([7, -9]);
  return buf;
};

test('float16 storage: half the bytes, tfjs decodes it to the nearest half-precision values; int32 copied as is', () => {
  const q = quantizeWeights(specs, data(), 'float16');
  assert.equal(q.data.byteLength, 4 * 2 + 2 * 4);
  assert.deepEqual(q.specs[0].quantization, { dtype: 'float16' });
  assert.equal(q.specs[1].quantization, undefined);
  const out = tf.io.decodeWeights(q.data, q.specs);
  assert.deepEqual(Array.from(out.a.dataSync()), [-1, 0, 0.5, 3]); // all exact in float16
  assert.deepEqual(Array.from(out.n.dataSync()), [7, -9]);
  tf.dispose(Object.values(out));
});

test('uint8 storage: min and scale as the converter writes them, zero kept exact, error within half a step', () => {
  const q = quantizeWeights(specs, data(), 'uint8');
  const spec = q.specs[0].quantization!;
  assert.equal(spec.dtype, 'uint8');
  // range -1..3 -> scale 4/255; min nudged so that 0 is a whole number of steps from it
  assert.ok(Math.abs(spec.scale! - 4 / 255) < 1e-12);
  assert.equal(Math.round(-spec.min! / spec.scale!) * spec.scale!, -spec.min!);
  const out = tf.io.decodeWeights(q.data, q.specs);
  const got = Array.from(out.a.dataSync());
  assert.equal(got[1], 0);
  [-1, 0, 0.5, 3].forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= spec.scale! / 2 + 1e-6, `${got[i]} vs ${v}`));
  tf.dispose(Object.values(out));
});

test('uint8 storage keeps vectors (biases, BatchNorm statistics) float32 and exact', () => {
  // A moving variance as the 11-epoch 48x48 model had: one channel at 1,770, the rest small.
  // In one uint8 range its step is 6.9, and the small ones would all read back as 0.
  const variance = [1770, 2.5, 0.04, 0.9];
  const buf = new ArrayBuffer(32);
  new Float32Array(buf, 0, 4).set(variance);
  new Float32Array(buf, 16, 4).set([-1, 0, 0.5, 3]);
  const vecSpecs: tf.io.WeightsManifestEntry[] = [
    { name: 'bn/moving_variance', shape: [4], dtype: 'float32' },
    { name: 'kernel', shape: [1, 4], dtype: 'float32' },
  ];
  const q = quantizeWeights(vecSpecs, buf, 'uint8');
  assert.equal(q.specs[0].quantization, undefined);
  assert.equal(q.specs[1].quantization?.dtype, 'uint8');
  assert.equal(q.data.byteLength, 4 * 4 + 4);
  const out = tf.io.decodeWeights(q.data, q.specs);
  assert.deepEqual(Array.from(out['bn/moving_variance'].dataSync()), Array.from(Float32Array.from(variance)));
  tf.dispose(Object.values(out));
});

test('a quantized, sharded model folder loads with tfjs and predicts like the float32 model', async () => {
  await tf.setBackend('cpu');
  const model = tinyModel(3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quant-'));
  const x = tf.randomUniform([5, 8, 8, 1], -0.5, 0.5, 'float32', 1);
  const ref = (model.predict(x) as tf.Tensor).dataSync();
  for (const dtype of ['float16', 'uint8'] as const) {
    const out = path.join(dir, dtype);
    await saveModel(model, out, { quantize: dtype, shardBytes: 100 });
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const paths = json.weightsManifest[0].paths;
    assert.ok(paths.length > 1, `sharded: ${paths}`);
    for (const p of paths) assert.ok(fs.statSync(path.join(out, p)).size <= 100, p);
    const loaded = await loadModel(out);
    const got = (loaded.predict(x) as tf.Tensor).dataSync();
    const tol = dtype === 'float16' ? 2e-3 : 5e-2;
    ref.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < tol, `${dtype}: ${got[i]} vs ${v}`));
    loaded.dispose();
  }
  // A truncated shard is an error naming the model, not garbage weights.
  const f16 = path.join(dir, 'float16');
  const first = JSON.parse(fs.readFileSync(path.join(f16, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
  fs.truncateSync(path.join(f16, first), 10);
  await assert.rejects(tf.loadLayersModel(fileSystemIO(path.join(f16, 'model.json'))), /truncated or mismatched/);
  model.dispose();
  x.dispose();
});
