/**
 * Saving and loading tfjs LayersModels on the local file system without tfjs-node.
 * tf.io's file:// handlers live in tfjs-node (optional here), so this is a plain
 * tf.io.IOHandler over node:fs that works on every backend (cpu, wasm, node).
 * Layout is the standard tfjs one: model.json (modelTopology + weightsManifest) and a
 * weights file beside it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUtf8 } from 'node:buffer';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../files/atomic';
import { QuantizeDtype, quantizeWeights } from './quantize';
import { findCompleteFolder } from '../files/leftovers';
import { capability } from '../engine/capabilities';
import { flushVariables } from '../models/denormals';

/** Bytes per element of the dtypes tfjs writes without quantization, and of its quantized storage types. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANTIZED_BYTES: Record<string, number> = { float16: 2, uint16: 2, uint8: 1 };

/** Bytes one manifest entry takes in the weights data (undefined for a dtype we cannot size). */
function entryBytes(s: tf.io.WeightsManifestEntry): number | undefined {
  const per = s.quantization ? QUANTIZED_BYTES[s.quantization.dtype] : DTYPE_BYTES[s.dtype];
  return per === undefined ? undefined : s.shape.reduce((a, b) => a * b, 1) * per;
}

/** How fileSystemIO writes weights. */
export interface SaveOptions {
  /** Store float32 weights as float16 or uint8 (tfjs's quantization manifest; plain tfjs reads it). */
  quantize?: QuantizeDtype;
  /** Split the weights into files of at most this many bytes (tfjs's shards, as the converter's 4 MB). */
  shardBytes?: number;
}

/** `model.json` → `model.weights.bin`: the weights file named after the json file. */
function weightsFileFor(modelJsonPath: string): string {
  return `${path.basename(modelJsonPath).replace(/\.json$/i, '')}.weights.bin`;
}

function readJson(file: string): tf.io.ModelJSON {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`loadModel: cannot read ${file}: ${(err as Error).message}`);
  }
  if (bytes.length === 0) throw new Error(`loadModel: ${file} is an empty file, not a model.json`);
  // JSON.parse quotes the text it fails on: for an image or a weights file, raw bytes.
  if (bytes.includes(0) || !isUtf8(bytes)) throw new Error(`loadModel: ${file} is a binary file, not a model.json`);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(bytes.toString('utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(`loadModel: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || json.modelTopology == null) {
    throw new Error(`loadModel: ${file} is not a tfjs model.json (no modelTopology)`);
  }
  return json;
}

/**
 * A weights manifest group as this library writes it: tfjs's paths and weights, plus the
 * sha256 of each file (hex, in `paths` order). tfjs ignores the extra key; this library's
 * loader checks it, so a shard swapped for another model's same-size shard is refused.
 */
type HashedGroup = tf.io.WeightsManifestConfig[number] & { sha256?: string[] };

const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

/** Reads every weights file the manifest lists (paths relative to the json) into one buffer. */
function readWeights(modelJsonPath: string, manifest: tf.io.WeightsManifestConfig): [tf.io.WeightsManifestEntry[], ArrayBuffer] {
  const dir = path.dirname(modelJsonPath);
  const buffers: ArrayBuffer[] = [];
  let differs: string | null = null; // the first file whose sha256 is not the recorded one
  for (const group of manifest as HashedGroup[]) {
    for (const [i, p] of group.paths.entries()) {
      const file = path.resolve(dir, p);
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch (err) {
        throw new Error(`loadModel: weights file ${file} listed in ${modelJsonPath} cannot be read: ${(err as Error).message}`);
      }
      const want = group.sha256?.[i];
      if (want !== undefined && !differs && sha256(bytes) !== want) differs = file;
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  const specs = manifest.flatMap((g) => g.weights);
  const data = tf.io.CompositeArrayBuffer.join(buffers);
  const sizes = specs.map(entryBytes);
  if (sizes.every((n) => n !== undefined)) {
    const expected = sizes.reduce((a: number, b) => a + b!, 0);
    if (expected !== data.byteLength) {
      throw new Error(
        `loadModel: weights of ${modelJsonPath} hold ${data.byteLength} bytes but its manifest describes ${expected} (truncated or mismatched weights file?)`,
      );
    }
  }
  // After the size check: a truncated file is better named as truncated than as another file.
  if (differs) {
    throw new Error(
      `loadModel: weights file ${differs} is not the one ${modelJsonPath} was saved with (its sha256 differs): a shard of another model, or corrupted`,
    );
  }
  return [specs, data];
}

/**
 * A tf.io.IOHandler for `model.save(handler)` / `tf.loadLayersModel(handler)`. Saving writes
 * `<name>.weights.bin` beside `modelJsonPath`, then the json (each through a temporary file
 * and a rename), so a crash never leaves a json pointing at half-written weights.
 */
export function fileSystemIO(modelJsonPath: string, opts: SaveOptions = {}): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSystemIO: binary (graph-model) topologies are not supported; save a LayersModel');
      }
      fs.mkdirSync(path.dirname(modelJsonPath), { recursive: true });
      let weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      let specs = artifacts.weightSpecs ?? [];
      if (opts.quantize) ({ specs, data: weightData } = quantizeWeights(specs, weightData, opts.quantize));
      const shard = opts.shardBytes ?? Infinity;
      if (!(shard > 0)) throw new Error(`fileSystemIO: shardBytes must be > 0, got ${opts.shardBytes}`);
      const count = Math.max(1, Math.ceil(weightData.byteLength / shard));
      const base = weightsFileFor(modelJsonPath).replace(/\.bin$/, '');
      const names = count === 1 ? [`${base}.bin`] : Array.from({ length: count }, (_, i) => `${base}.${i + 1}of${count}.bin`);
      const step = Math.ceil(weightData.byteLength / count);
      const hashes = names.map((name, i) => {
        const part = new Uint8Array(weightData, i * step, Math.min(step, weightData.byteLength - i * step));
        writeFileAtomic(path.join(path.dirname(modelJsonPath), name), part);
        return sha256(part);
      });
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: names, weights: specs, sha256: hashes } as HashedGroup],
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

/** Saves `model` as `dir/model.json` + `dir/model.weights.bin` (creating `dir`), optionally quantized and sharded. */
export async function saveModel(model: tf.LayersModel, dir: string, opts: SaveOptions = {}): Promise<tf.io.SaveResult> {
  return model.save(fileSystemIO(path.join(dir, 'model.json'), opts));
}

/** The model.json a path names: a folder means `folder/model.json`. */
export function resolveModelJson(pathOrDir: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(pathOrDir);
  } catch {
    // A kill between the two renames of a folder swap leaves the complete copy beside it.
    const found = findCompleteFolder(pathOrDir);
    if (found) return path.join(found, 'model.json');
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
 * converter): `pathOrDir` is a folder holding model.json or the path of a .json file. Subnormal
 * weights are zeroed where they are slow (models/denormals.ts): a float checkpoint of a long run
 * then predicts as fast as its quantised export.
 */
export async function loadModel(pathOrDir: string): Promise<tf.LayersModel> {
  const model = await tf.loadLayersModel(fileSystemIO(resolveModelJson(pathOrDir)));
  if (capability('slowSubnormals')) flushVariables(model.weights.map((w) => w.read() as tf.Variable));
  return model;
}
