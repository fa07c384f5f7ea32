/**
 * Saving and loading tfjs LayersModels on the local file system without tfjs-node.
 * tf.io's file:// handlers live in tfjs-node (optional here), so this is a plain
 * tf.io.IOHandler over node:fs that works on every backend (cpu, wasm, node).
 * Layout is the standard tfjs one: model.json (modelTopology + weightsManifest) and a
 * weights file beside it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from './image-io';

/** Bytes per element of the dtypes tfjs writes without quantization. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** `model.json` → `model.weights.bin`: the weights file named after the json file. */
function weightsFileFor(modelJsonPath: string): string {
  return `${path.basename(modelJsonPath).replace(/\.json$/i, '')}.weights.bin`;
}

function readJson(file: string): tf.io.ModelJSON {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`loadModel: cannot read ${file}: ${(err as Error).message}`);
  }
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(`loadModel: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || json.modelTopology == null) {
    throw new Error(`loadModel: ${file} is not a tfjs model.json (no modelTopology)`);
  }
  return json;
}

/** Reads every weights file the manifest lists (paths relative to the json) into one buffer. */
function readWeights(modelJsonPath: string, manifest: tf.io.WeightsManifestConfig): [tf.io.WeightsManifestEntry[], ArrayBuffer] {
  const dir = path.dirname(modelJsonPath);
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      const file = path.resolve(dir, p);
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch (err) {
        throw new Error(`loadModel: weights file ${file} listed in ${modelJsonPath} cannot be read: ${(err as Error).message}`);
      }
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  const specs = manifest.flatMap((g) => g.weights);
  const data = tf.io.CompositeArrayBuffer.join(buffers);
  if (specs.every((s) => s.quantization == null && DTYPE_BYTES[s.dtype] !== undefined)) {
    const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[s.dtype], 0);
    if (expected !== data.byteLength) {
      throw new Error(`loadModel: weights of ${modelJsonPath} hold ${data.byteLength} bytes but its manifest describes ${expected} (truncated or mismatched weights file?)`);
    }
  }
  return [specs, data];
}

/**
 * A tf.io.IOHandler for `model.save(handler)` / `tf.loadLayersModel(handler)`. Saving writes
 * `<name>.weights.bin` beside `modelJsonPath`, then the json (each through a temporary file
 * and a rename), so a crash never leaves a json pointing at half-written weights.
 */
export function fileSystemIO(modelJsonPath: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSystemIO: binary (graph-model) topologies are not supported; save a LayersModel');
      }
      fs.mkdirSync(path.dirname(modelJsonPath), { recursive: true });
      const weightsName = weightsFileFor(modelJsonPath);
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      writeFileAtomic(path.join(path.dirname(modelJsonPath), weightsName), new Uint8Array(weightData));
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata != null) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      writeFileAtomic(modelJsonPath, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = readJson(modelJsonPath);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => readWeights(modelJsonPath, manifest));
    },
  };
}

/** Saves `model` as `dir/model.json` + `dir/model.weights.bin` (creating `dir`). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  return model.save(fileSystemIO(path.join(dir, 'model.json')));
}

/** The model.json a path names: a folder means `folder/model.json`. */
export function resolveModelJson(pathOrDir: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(pathOrDir);
  } catch {
    throw new Error(`loadModel: ${pathOrDir} does not exist (expected a model folder or a model.json)`);
  }
  if (stat.isDirectory()) {
    const json = path.join(pathOrDir, 'model.json');
    if (!fs.existsSync(json)) throw new Error(`loadModel: folder ${pathOrDir} has no model.json`);
    return json;
  }
  return pathOrDir;
}

/**
 * Loads a LayersModel saved by saveModel, fileSystemIO or tfjs (tfjs-node's file://, the
 * converter): `pathOrDir` is a folder holding model.json or the path of a .json file.
 */
export async function loadModel(pathOrDir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystemIO(resolveModelJson(pathOrDir)));
}
