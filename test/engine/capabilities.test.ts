/**
 * The limits and choices the core takes from an engine's capabilities rather than from a
 * backend's name: a fake engine on the cpu backend declares each, and the core follows it;
 * without it, the core has no such limit.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { EngineCapabilities, registerEngine, unregisterEngine } from '../../src/engine/capabilities';
import { Facial, SAMPLE_CSV_PATH } from '../../src/facial';
import { canReadSync } from '../../src/engine/read';
import { fastPredictor } from '../../src/models/inference';
import { tinyModel } from '../helpers/tiny';

async function withFakeEngine<T>(capabilities: EngineCapabilities, fn: () => T | Promise<T>): Promise<T> {
  registerEngine({ name: 'fake-capabilities', servesBackend: (b) => b === 'cpu', capabilities });
  try {
    return await fn();
  } finally {
    unregisterEngine('fake-capabilities');
  }
}

test('dataLimitBytes: full tensors over the limit are refused before allocating, naming the bytes; no limit without it', async () => {
  await tf.setBackend('cpu');
  const options = { csvPath: SAMPLE_CSV_PATH, splits: ['validation' as const], limit: 4 };
  const bytes = 4 * 48 * 48 * 4; // 4 faces, float32
  await withFakeEngine({ dataLimitBytes: bytes - 1 }, () => {
    assert.throws(() => new Facial(options), new RegExp(`tensors need ${bytes} bytes .*more than the cpu backend can hold`));
    new Facial({ ...options, compact: true }).dispose(); // compact data holds no full tensors
  });
  const facial = new Facial(options);
  assert.equal(facial.fullTensorBytes(), bytes);
  assert.deepEqual(facial.validationData!.shape, [4, 48, 48, 1]);
  facial.dispose();
});

test('readsSync and foldsBatchNorm come from the engine', async () => {
  await tf.setBackend('cpu');
  assert.equal(canReadSync(), true);
  await withFakeEngine({ readsSync: () => false }, () => assert.equal(canReadSync(), false));
  const model = tinyModel();
  const plain = fastPredictor(model) as { foldedBatchNorms?: number };
  assert.equal(plain.foldedBatchNorms, undefined, 'model.predict where no engine folds');
  const folded = await withFakeEngine(
    { foldsBatchNorm: true },
    () => fastPredictor(model) as { foldedBatchNorms?: number; dispose(): void },
  );
  assert.equal(folded.foldedBatchNorms, 1);
  folded.dispose();
  model.dispose();
});
