/**
 * The one shape of data the training loop consumes, and adapters to it from a Facial
 * split, in-memory tensors and a tf.data.Dataset. ImageDataGenerator flows implement it
 * directly. Every adapter hands out batches the caller disposes.
 */
import * as tf from '@tensorflow/tfjs';
import type { SplitName } from '../data/fer-csv';
import { mixSeed, mulberry32, shuffledIndices } from './image-transform';
import { countClasses } from './labels';

/** One batch of inputs [N,h,w,c] and one-hot targets [N,classes]; the consumer disposes both. */
export interface Batch {
  xs: tf.Tensor4D;
  ys: tf.Tensor2D;
}

/** One batch's images as a typed array [N,h,w,c] and its one-hot targets; the consumer disposes `ys`. */
export interface ArrayBatch {
  pixels: Float32Array;
  shape: [number, number, number, number];
  ys: tf.Tensor2D;
}

/**
 * A batch as a source yields it: tensors (sources that hold tensors) or a typed array (sources
 * that hold images as arrays, so augmentation needs no tensor round trip). `toBatch` makes the
 * tensors, in one place.
 */
export type SourceBatch = Batch | ArrayBatch;

/** True for a batch whose images are still a typed array. */
export function isArrayBatch(b: SourceBatch): b is ArrayBatch {
  return (b as ArrayBatch).pixels !== undefined;
}

/** The batch as tensors: an array batch's images become one tensor here. */
export function toBatch(b: SourceBatch): Batch {
  return isArrayBatch(b) ? { xs: tf.tensor4d(b.pixels, b.shape, 'float32'), ys: b.ys } : b;
}

/** The batch's images as a typed array: a tensor batch is read once (and its image tensor disposed). */
export async function toArrayBatch(b: SourceBatch): Promise<ArrayBatch> {
  if (isArrayBatch(b)) return b;
  const pixels = (await b.xs.data()) as Float32Array;
  const shape = b.xs.shape;
  b.xs.dispose();
  return { pixels, shape, ys: b.ys };
}

/** A finite, re-iterable source of batches (one pass = one epoch). */
export interface DataSource {
  /** Number of examples in one pass (0 when unknown, as for a tf.data.Dataset of unknown size). */
  readonly size: number;
  /** Batches in one pass (0 when unknown). */
  readonly numBatches: number;
  /** Side of the (square) images, when known: the anysize model is built at this size. */
  readonly imageSize?: number;
  /**
   * The batches of pass `epoch` (0-based), starting at batch `fromBatch` (default 0). Order and
   * augmentation depend only on (seed, epoch, batch index), so a mid-epoch resume repeats them.
   */
  batches(epoch: number, fromBatch?: number): AsyncIterableIterator<SourceBatch>;
  /** Examples per class, for class_weight 'balanced'. */
  classCounts?(): number[] | Promise<number[]>;
  /**
   * The name of each target column, when the source has its own classes (a folder of class
   * folders: loadFaceFolder). trainResnet50 then gives the model a head for them and stores
   * the names with it; absent means FER2013's seven EMOTIONS.
   */
  readonly classNames?: readonly string[];
}

/** Options shared by the in-memory adapters. */
export interface BatchingOptions {
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
}

/** Index order of one epoch: 0..n-1, or a seeded permutation. */
export function epochOrder(n: number, shuffle: boolean, seed: number, epoch: number): Uint32Array {
  if (!shuffle) return Uint32Array.from({ length: n }, (_, i) => i);
  return shuffledIndices(n, mulberry32(mixSeed(seed, epoch, 0x5eed)));
}

/** The part of the Facial class (src/facial.ts) the loop uses. */
export interface FacialLike {
  readonly size: number;
  count(split: SplitName): number;
  classCounts(split: SplitName): number[];
  batch(split: SplitName, indices: ArrayLike<number>): { xs: tf.Tensor4D; ys: tf.Tensor2D };
  /** As batch(), with the images left as a typed array. */
  batchPixels?(split: SplitName, indices: ArrayLike<number>): ArrayBatch;
  /** The classes' names when they are not FER2013's seven (see DataSource.classNames). */
  readonly classNames?: readonly string[];
}

/**
 * A Facial split as a DataSource, batch by batch through `facial.batch(split, indices)` so the
 * compact (uint8, resized per batch) mode works at 200x200 without holding float tensors.
 */
export function fromFacial(facial: FacialLike, split: SplitName, opts: BatchingOptions = {}): DataSource {
  const batchSize = opts.batchSize ?? 32;
  const shuffle = opts.shuffle ?? split === 'train';
  const seed = opts.seed ?? 0;
  const n = facial.count(split);
  if (n === 0) throw new Error(`fromFacial: the ${split} split is empty or not loaded`);
  return {
    size: n,
    numBatches: Math.ceil(n / batchSize),
    imageSize: facial.size,
    ...(facial.classNames ? { classNames: facial.classNames } : {}),
    classCounts: () => facial.classCounts(split),
    async *batches(epoch: number, fromBatch = 0) {
      const order = epochOrder(n, shuffle, seed, epoch);
      for (let start = fromBatch * batchSize; start < n; start += batchSize) {
        const indices = order.subarray(start, Math.min(n, start + batchSize));
        yield facial.batchPixels ? facial.batchPixels(split, indices) : facial.batch(split, indices);
      }
    },
  };
}

/** In-memory tensors as a DataSource (the tensors stay owned by the caller). */
export function fromTensors(xs: tf.Tensor4D, ys: tf.Tensor2D, opts: BatchingOptions = {}): DataSource {
  const batchSize = opts.batchSize ?? 32;
  const shuffle = opts.shuffle ?? true;
  const seed = opts.seed ?? 0;
  const n = xs.shape[0];
  if (ys.shape[0] !== n) throw new Error(`fromTensors: ${n} inputs but ${ys.shape[0]} targets`);
  return {
    size: n,
    numBatches: Math.ceil(n / batchSize),
    imageSize: xs.shape[1] === xs.shape[2] ? xs.shape[1] : undefined,
    classCounts: async () => {
      const am = ys.argMax(-1);
      const ids = await am.data();
      am.dispose();
      return countClasses(ids, ys.shape[1]);
    },
    async *batches(epoch: number, fromBatch = 0) {
      const order = epochOrder(n, shuffle, seed, epoch);
      for (let start = fromBatch * batchSize; start < n; start += batchSize) {
        const idx = tf.tensor1d(Array.from(order.subarray(start, Math.min(n, start + batchSize))), 'int32');
        const batch = { xs: tf.gather(xs, idx) as tf.Tensor4D, ys: tf.gather(ys, idx) as tf.Tensor2D };
        idx.dispose();
        yield batch;
      }
    },
  };
}

/**
 * A tf.data.Dataset of `{xs, ys}` batches (already batched, as model.fitDataset expects)
 * as a DataSource. `numBatches` is optional: it only feeds the progress bar's ETA.
 */
export function fromDataset(ds: tf.data.Dataset<tf.TensorContainer>, opts: { numBatches?: number; size?: number } = {}): DataSource {
  return {
    size: opts.size ?? 0,
    numBatches: opts.numBatches ?? 0,
    async *batches(_epoch: number, fromBatch = 0) {
      const it = await ds.iterator();
      for (let b = 0; ; b++) {
        const next = await it.next();
        if (next.done) return;
        const v = next.value as unknown;
        let batch: Batch;
        if (Array.isArray(v)) batch = { xs: v[0] as tf.Tensor4D, ys: v[1] as tf.Tensor2D };
        else if (v && typeof v === 'object' && 'xs' in v && 'ys' in v) batch = v as Batch;
        else throw new Error('fromDataset: each element must be {xs, ys} or [xs, ys] (batched tensors)');
        // A dataset cannot seek: batches before a resume point are read and dropped.
        if (b < fromBatch) tf.dispose([batch.xs, batch.ys]);
        else yield batch;
      }
    },
  };
}

/** True for a tf.data.Dataset (duck-typed: the class may come from another tfjs copy). */
export function isDataset(x: unknown): x is tf.data.Dataset<tf.TensorContainer> {
  return (
    x instanceof tf.data.Dataset ||
    (!!x && typeof (x as { iterator?: unknown }).iterator === 'function' && typeof (x as { batch?: unknown }).batch === 'function')
  );
}

/** True for anything already shaped as a DataSource. */
export function isDataSource(x: unknown): x is DataSource {
  return !!x && typeof (x as DataSource).batches === 'function' && typeof (x as DataSource).numBatches === 'number';
}
