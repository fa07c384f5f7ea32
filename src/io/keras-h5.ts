/**
 * Keras 2.x HDF5 weights in and out (the `model.save_weights` / ModelCheckpoint layout), so
 * the original project's published resnet50_weights.h5 / resnet50_imgsize48_weights.h5 load
 * into our models and our weights load into Keras with `model.load_weights`.
 *
 * Layout (keras/engine/topology.py, save_weights_to_hdf5_group): root attributes
 * `layer_names` (fixed-length byte strings, every layer in model.layers order), `backend`,
 * `keras_version`; one group per layer with attribute `weight_names` (e.g. `conv1/kernel:0`)
 * and a dataset at each of those paths inside the group. `model.save` nests the same under
 * the group `model_weights`. Loading follows load_weights_from_hdf5_group (by order of
 * weighted layers) or load_weights_from_hdf5_group_by_name, but validates everything before
 * setting anything, so a mismatch leaves the model exactly as it was.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type * as H5 from 'h5wasm/node' with { 'resolution-mode': 'import' };
import { atomicRename, stagingName } from '../files/atomic';

/** Options of {@link loadKerasWeights}. */
export interface LoadKerasWeightsOptions {
  /**
   * Match file layers to model layers by name (Keras's `load_weights(by_name=True)`):
   * model layers absent from the file keep their weights, file layers absent from the
   * model are ignored. Default false: by order of the layers that have weights.
   */
  byName?: boolean;
}

/** What {@link loadKerasWeights} set. */
export interface KerasWeightsLoadResult {
  /** Model layers whose weights were set, in model order. */
  loaded: string[];
  /** byName only: weighted model layers the file has no group for (left unchanged). */
  notInFile: string[];
  /** byName only: weighted file layers no model layer is named after (ignored). */
  notInModel: string[];
}

type H5Module = typeof H5;
let h5wasmPromise: Promise<H5Module> | undefined;

/** h5wasm is ESM-only; the dynamic import stays a real import() in our CommonJS output. */
async function loadH5wasm(): Promise<H5Module> {
  h5wasmPromise ??= (async () => {
    const h5wasm = await import('h5wasm/node');
    const module = await h5wasm.ready;
    // By default HDF5 failures only print to stderr and carry on; make them JS errors.
    module.activate_throwing_error_handler();
    return h5wasm;
  })();
  return h5wasmPromise;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * True when the file carries the HDF5 superblock signature (at 0, 512, 1024, 2048, ...).
 * Checked up front because h5wasm does not throw on a non-HDF5 file.
 */
function hasHdf5Signature(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      fs.readSync(fd, buf, 0, 8, offset);
      if (buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** One layer's weights as stored in the file. */
interface FileLayer {
  name: string;
  weightNames: string[];
  values: Array<{ data: Float32Array; shape: number[] }>;
}

/** Reads a string-list attribute, including Keras's chunked form (`name0`, `name1`, ...) for long lists. */
function readStringsAttr(obj: H5.Group, name: string): string[] | undefined {
  const attrs = obj.attrs;
  const toList = (v: unknown): string[] => {
    if (v === null || v === undefined) return [];
    const arr = Array.isArray(v) ? v : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>) : [v];
    return arr.map((s) => String(s));
  };
  if (name in attrs) return toList(attrs[name].value);
  if (`${name}0` in attrs) {
    const out: string[] = [];
    for (let i = 0; `${name}${i}` in attrs; i++) out.push(...toList(attrs[`${name}${i}`].value));
    return out;
  }
  return undefined;
}

function readAttrString(obj: H5.Group, name: string): string | undefined {
  const v = obj.attrs[name]?.value;
  return v === undefined || v === null ? undefined : String(v);
}

/** Reads every layer of a Keras weights file, closing it before returning. */
async function readKerasFile(h5Path: string, who: string): Promise<{ layers: FileLayer[]; backend?: string }> {
  if (!fs.existsSync(h5Path)) throw new Error(`${who}: ${h5Path} does not exist`);
  if (!hasHdf5Signature(h5Path)) throw new Error(`${who}: ${h5Path} is not an HDF5 file`);
  const h5wasm = await loadH5wasm();
  let file: H5.File;
  try {
    file = new h5wasm.File(h5Path, 'r');
  } catch (err) {
    throw new Error(`${who}: cannot open ${h5Path}: ${hdf5Reason(err)}`);
  }
  try {
    let root: H5.Group = file;
    if (readStringsAttr(root, 'layer_names') === undefined) {
      const nested = root.keys().includes('model_weights') ? root.get('model_weights') : null;
      if (nested instanceof h5wasm.Group) root = nested;
    }
    const layerNames = readStringsAttr(root, 'layer_names');
    if (layerNames === undefined) {
      throw new Error(`${who}: ${h5Path} is not a Keras weights file (no 'layer_names' attribute at / or /model_weights)`);
    }
    const backend = readAttrString(root, 'backend');
    const layers: FileLayer[] = layerNames.map((name) => {
      const group = root.get(name);
      if (!(group instanceof h5wasm.Group)) throw new Error(`${who}: ${h5Path} lists layer '${name}' but has no group for it`);
      const weightNames = readStringsAttr(group, 'weight_names');
      if (weightNames === undefined) throw new Error(`${who}: ${h5Path}, layer '${name}' has no 'weight_names' attribute`);
      const values = weightNames.map((wn) => {
        const ds = group.get(wn);
        if (!(ds instanceof h5wasm.Dataset))
          throw new Error(`${who}: ${h5Path}, layer '${name}' lists weight '${wn}' but has no dataset for it`);
        const raw = ds.value;
        if (!(raw instanceof Float32Array || raw instanceof Float64Array)) {
          throw new Error(`${who}: ${h5Path}, weight '${name}/${wn}' is not a float array (dtype ${JSON.stringify(ds.dtype)})`);
        }
        return { data: raw instanceof Float32Array ? raw : Float32Array.from(raw), shape: ds.shape ?? [] };
      });
      return { name, weightNames, values };
    });
    return { layers, backend };
  } catch (err) {
    if ((err as Error).message?.startsWith(who)) throw err;
    throw new Error(`${who}: cannot read ${h5Path}: ${hdf5Reason(err)}`);
  } finally {
    file.close();
  }
}

/** The gist of an HDF5 error stack (its innermost 'minor:' line), for a one-line message. */
function hdf5Reason(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const minors = [...text.matchAll(/minor: (.*)/g)].map((m) => m[1].trim());
  return minors.length > 0 ? minors[minors.length - 1] : text.split('\n')[0];
}

/** Creates (or reuses) the groups on the way to a dataset named like 'conv1/kernel:0'. */
function ensureGroups(group: H5.Group, parts: string[]): H5.Group {
  let g = group;
  for (const part of parts) {
    const existing = g.keys().includes(part) ? g.get(part) : null;
    g = existing !== null ? (existing as H5.Group) : g.create_group(part);
  }
  return g;
}

const shapeStr = (s: ArrayLike<number | null>) => `[${Array.from(s).join(', ')}]`;

/** Pairs one model layer with one file layer, checking weight count and every shape. */
function matchLayer(
  who: string,
  h5Path: string,
  layer: tf.layers.Layer,
  fileLayer: FileLayer,
  position: string,
): Array<[tf.LayerVariable, { data: Float32Array; shape: number[] }]> {
  const weights = layer.weights;
  if (weights.length !== fileLayer.values.length) {
    throw new Error(
      `${who}: ${position} model layer '${layer.name}' has ${weights.length} weights but ` +
        `layer '${fileLayer.name}' in ${h5Path} has ${fileLayer.values.length}`,
    );
  }
  return weights.map((w, i) => {
    const saved = fileLayer.values[i];
    if (shapeStr(w.shape) !== shapeStr(saved.shape)) {
      throw new Error(
        `${who}: ${position} model layer '${layer.name}' weight ${w.originalName} has shape ` +
          `${shapeStr(w.shape)} but '${fileLayer.name}/${fileLayer.weightNames[i]}' in ${h5Path} has shape ${shapeStr(saved.shape)}`,
      );
    }
    return [w, saved];
  });
}

/**
 * Loads a Keras 2.x weights file (`save_weights`, ModelCheckpoint, or a full `model.save`
 * file) into `model`. By default by order of the layers that have weights, as Keras's
 * `load_weights`; with `byName`, as `load_weights(by_name=True)`. Everything is read and
 * checked first: on any mismatch the error names the layer and shapes and no weight changes.
 */
export async function loadKerasWeights(
  model: tf.LayersModel,
  h5Path: string,
  opts: LoadKerasWeightsOptions = {},
): Promise<KerasWeightsLoadResult> {
  const who = 'loadKerasWeights';
  const { layers: fileLayers, backend } = await readKerasFile(h5Path, who);
  if (backend === 'theano' && model.layers.some((l) => /Conv/.test(l.getClassName()))) {
    throw new Error(`${who}: ${h5Path} was saved with the Theano backend; its conv kernels would need flipping, which is not supported`);
  }
  const weightedFile = fileLayers.filter((l) => l.values.length > 0);
  const weightedModel = model.layers.filter((l) => l.weights.length > 0);
  const pairs: Array<[tf.LayerVariable, { data: Float32Array; shape: number[] }]> = [];
  const result: KerasWeightsLoadResult = { loaded: [], notInFile: [], notInModel: [] };

  if (opts.byName) {
    const byName = new Map(weightedFile.map((l) => [l.name, l]));
    for (const layer of weightedModel) {
      const fileLayer = byName.get(layer.name);
      if (fileLayer === undefined) {
        result.notInFile.push(layer.name);
        continue;
      }
      pairs.push(...matchLayer(who, h5Path, layer, fileLayer, 'by name,'));
      result.loaded.push(layer.name);
    }
    const modelNames = new Set(weightedModel.map((l) => l.name));
    result.notInModel = weightedFile.filter((l) => !modelNames.has(l.name)).map((l) => l.name);
    if (result.loaded.length === 0) {
      throw new Error(
        `${who}: no layer of ${h5Path} matches a model layer by name ` +
          `(file: ${weightedFile
            .slice(0, 3)
            .map((l) => l.name)
            .join(', ')}...; model: ${weightedModel
            .slice(0, 3)
            .map((l) => l.name)
            .join(', ')}...)`,
      );
    }
  } else {
    if (weightedFile.length !== weightedModel.length) {
      throw new Error(
        `${who}: ${h5Path} holds ${weightedFile.length} layers with weights but the model has ` +
          `${weightedModel.length}${firstDifference(weightedModel, weightedFile)}`,
      );
    }
    weightedModel.forEach((layer, k) => {
      pairs.push(...matchLayer(who, h5Path, layer, weightedFile[k], `weighted layer #${k}:`));
      result.loaded.push(layer.name);
    });
  }

  // Everything matched: set all weights (variable.write keeps the model's own variables).
  tf.tidy(() => {
    for (const [variable, saved] of pairs) variable.write(tf.tensor(saved.data, saved.shape, 'float32'));
  });
  return result;
}

/** For a count mismatch: the first position where the layer names part ways, as a hint. */
function firstDifference(model: tf.layers.Layer[], file: FileLayer[]): string {
  const n = Math.min(model.length, file.length);
  for (let i = 0; i < n; i++) {
    if (model[i].name !== file[i].name) {
      return ` (first difference at weighted layer #${i}: model '${model[i].name}', file '${file[i].name}')`;
    }
  }
  const longer = model.length > file.length ? `model layer '${model[n].name}'` : `file layer '${file[n].name}'`;
  return ` (extra ${longer} at weighted layer #${n})`;
}

/** The Keras weight name of a tfjs variable: `<layer>/<kernel|bias|gamma|...>:0`. */
function kerasWeightName(layer: tf.layers.Layer, variable: tf.LayerVariable): string {
  const short = variable.originalName.split('/').pop() as string;
  return `${layer.name}/${short}:0`;
}

/** Fixed-length byte-string dtype wide enough for every string (Keras decodes them as bytes). */
function fixedStringDtype(strings: string[]): string {
  for (const s of strings) {
    if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`saveKerasWeights: name '${s}' is not printable ASCII`);
  }
  return `S${Math.max(1, ...strings.map((s) => s.length))}`;
}

/**
 * Saves `model`'s weights in the Keras 2.x `save_weights` layout, so that Keras's
 * `model.load_weights(h5Path)` (by order or by name) reads them. Written to a temporary
 * file first and renamed into place, so an existing file is never left half-written.
 */
export async function saveKerasWeights(model: tf.LayersModel, h5Path: string): Promise<void> {
  const h5wasm = await loadH5wasm();
  const tmp = `${stagingName(h5Path, 'tmp', process.pid)}.h5`;
  // Read every weight first, asynchronously: a GPU backend (WebGPU) has no synchronous read in Node.
  // read() is the variable's own tensor: read its data, never dispose it.
  const values = new Map<tf.LayerVariable, Float32Array>();
  for (const w of model.weights) values.set(w, (await w.read().data()) as Float32Array);
  try {
    const file = new h5wasm.File(tmp, 'w');
    try {
      const layerNames = model.layers.map((l) => l.name);
      file.create_attribute('layer_names', layerNames, [layerNames.length], fixedStringDtype(layerNames));
      file.create_attribute('backend', 'tensorflow', null, 'S10');
      // The layout version Keras keys its format conversions on (none apply to 2.x).
      file.create_attribute('keras_version', '2.1.6', null, 'S5');
      for (const layer of model.layers) {
        const group = file.create_group(layer.name);
        const names = layer.weights.map((w) => kerasWeightName(layer, w));
        group.create_attribute('weight_names', names, [names.length], fixedStringDtype(names));
        layer.weights.forEach((w, i) => {
          // HDF5 does not create the intermediate group of 'conv1/kernel:0' by itself.
          const parts = names[i].split('/');
          const parent = ensureGroups(group, parts.slice(0, -1));
          const data = values.get(w)!;
          parent.create_dataset({ name: parts[parts.length - 1], data, shape: w.shape as number[], dtype: '<f' });
        });
      }
    } finally {
      file.close();
    }
    atomicRename(tmp, h5Path);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
