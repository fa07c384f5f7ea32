/**
 * The resume checkpoint: model weights (including BatchNorm moving statistics), optimizer
 * slots and iteration count, the next epoch, the learning rate, the shuffling seed, the
 * history so far and every callback's state. Written to a staging folder and swapped in
 * whole, so a kill at any moment leaves either the previous or the new state, never a mix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { swapFolder } from './checkpoint-io';

/** The JSON half of the state (weights travel in weights.bin). */
export interface TrainStateMeta {
  version: 1;
  /** The epoch to run next (0-based). */
  nextEpoch: number;
  learningRate: number;
  seed: number;
  history: Record<string, number[]>;
  callbacks: unknown[];
  modelWeightCount: number;
  optimizerWeightNames: string[];
  specs: tf.io.WeightsManifestEntry[];
}

/** Saves the state atomically into `dir` (dir/state.json + dir/weights.bin). */
export async function saveTrainState(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer,
  meta: Omit<TrainStateMeta, 'version' | 'modelWeightCount' | 'optimizerWeightNames' | 'specs'>): Promise<void> {
  const optWeights = await optimizer.getWeights();
  const named: Array<{ name: string; tensor: tf.Tensor }> = [
    ...model.weights.map((w, i) => ({ name: `model/${i}`, tensor: w.read() as tf.Tensor })),
    ...optWeights.map((w, i) => ({ name: `optimizer/${i}`, tensor: w.tensor })),
  ];
  const { data, specs } = await tf.io.encodeWeights(named);
  optWeights[0]?.tensor.dispose(); // getWeights makes a fresh iteration scalar; the rest are live slots
  const full: TrainStateMeta = {
    version: 1, ...meta, modelWeightCount: model.weights.length, optimizerWeightNames: optWeights.map((w) => w.name), specs,
  };
  const staged = `${dir}.tmp-${process.pid}`;
  fs.rmSync(staged, { recursive: true, force: true });
  fs.mkdirSync(staged, { recursive: true });
  try {
    fs.writeFileSync(path.join(staged, 'weights.bin'), new Uint8Array(data));
    fs.writeFileSync(path.join(staged, 'state.json'), JSON.stringify(full));
    fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
    swapFolder(staged, dir);
  } catch (err) {
    fs.rmSync(staged, { recursive: true, force: true });
    throw err;
  }
}

/** True when `dir` holds a complete state (a crash mid-swap leaves `dir.old-*`, which we also accept). */
export function findTrainState(dir: string): string | null {
  if (fs.existsSync(path.join(dir, 'state.json'))) return dir;
  const parent = path.dirname(path.resolve(dir));
  if (!fs.existsSync(parent)) return null;
  const old = fs.readdirSync(parent).find((f) => f.startsWith(`${path.basename(dir)}.old-`));
  return old && fs.existsSync(path.join(parent, old, 'state.json')) ? path.join(parent, old) : null;
}

/** Loads the state into `model` and `optimizer`; returns the JSON half. Errors name the folder. */
export async function loadTrainState(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<TrainStateMeta> {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as TrainStateMeta;
  if (meta.version !== 1) throw new Error(`${dir}/state.json: unknown state version ${meta.version}`);
  if (meta.modelWeightCount !== model.weights.length) {
    throw new Error(`${dir}: the saved state has ${meta.modelWeightCount} weights but the model has ${model.weights.length} (a different model?)`);
  }
  const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
  const map = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), meta.specs);
  const modelTensors = model.weights.map((w, i) => {
    const t = map[`model/${i}`];
    if (!tf.util.arraysEqual(t.shape, w.shape as number[])) throw new Error(`${dir}: weight ${w.name} has shape [${t.shape}] in the state, [${w.shape}] in the model`);
    return t;
  });
  model.setWeights(modelTensors);
  const optTensors = meta.optimizerWeightNames.map((name, i) => ({ name, tensor: map[`optimizer/${i}`] }));
  if (optTensors.length > 0) await optimizer.setWeights(optTensors);
  tf.dispose(Object.values(map));
  return meta;
}
