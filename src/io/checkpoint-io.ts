/**
 * Atomic checkpoint writes for ModelCheckpoint and savePrefix: everything is written under a
 * temporary name first and renamed into place only once complete, so a crash or a failing
 * save never leaves a half-written checkpoint or destroys the previous good one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemIO, SaveOptions } from './model-io';
import type { QuantizeDtype } from './quantize';
import { atomicRename, stagingName } from '../files/atomic';
import { leftoversOf } from '../files/leftovers';
import { saveKerasWeights } from './keras-h5';

/**
 * Replaces folder `target` with the complete folder `staged` (two renames; the old copy is
 * removed last, with any leftovers of earlier interrupted swaps). Between the renames readers
 * find the complete copy through findCompleteFolder. No name depends on the process id.
 */
export function swapFolder(staged: string, target: string): void {
  const old = stagingName(target, 'old');
  const hadOld = fs.existsSync(target);
  if (hadOld) atomicRename(target, old);
  try {
    atomicRename(staged, target);
  } catch (err) {
    if (hadOld) atomicRename(old, target);
    throw err;
  }
  for (const f of leftoversOf(target)) fs.rmSync(f, { recursive: true, force: true });
}

/**
 * Saves `model` at `target`: `*.h5` → Keras HDF5 weights (saveKerasWeights); `*.json` → a tfjs
 * model.json with `<name>.weights.bin` beside it; any other path → a folder holding model.json +
 * model.weights.bin. Each file (or the folder as a whole) appears atomically.
 */
export async function saveCheckpoint(
  model: tf.LayersModel,
  target: string,
  opts: { weightsOnly?: boolean } & SaveOptions = {},
): Promise<void> {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const staged = stagingName(target, 'tmp');
  try {
    if (target.endsWith('.h5')) {
      await saveKerasWeights(model, staged);
      atomicRename(staged, target);
    } else if (target.endsWith('.json')) {
      fs.mkdirSync(staged);
      const base = path.basename(target, '.json');
      await model.save(fileSystemIO(path.join(staged, `${base}.json`), opts));
      // Weights first: a reader following model.json never finds it pointing at a missing file.
      atomicRename(path.join(staged, `${base}.weights.bin`), path.join(path.dirname(target), `${base}.weights.bin`));
      atomicRename(path.join(staged, `${base}.json`), target);
      fs.rmSync(staged, { recursive: true, force: true });
    } else {
      fs.mkdirSync(staged);
      await model.save(fileSystemIO(path.join(staged, 'model.json'), opts));
      swapFolder(staged, target);
    }
  } catch (err) {
    fs.rmSync(staged, { recursive: true, force: true });
    throw err;
  }
}

/** Saves `{prefix}_model.json` (+ `.weights.bin`) and `{prefix}_weights.h5`, atomically. */
export async function saveWithPrefix(model: tf.LayersModel, prefix: string, opts: { quantize?: QuantizeDtype } = {}): Promise<void> {
  await saveCheckpoint(model, `${prefix}_model.json`, opts);
  try {
    await saveCheckpoint(model, `${prefix}_weights.h5`);
  } catch (err) {
    // The tfjs model above is the primary artefact; the Keras copy must not lose it.
    process.stderr.write(`warning: could not write ${prefix}_weights.h5: ${(err as Error).message}\n`);
  }
}
