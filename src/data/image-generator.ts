/**
 * Keras's ImageDataGenerator (keras-preprocessing semantics): per-image random affine
 * transforms and flips, then `preprocessing_function`, then `rescale`, batched by
 * `flow(x, y)` over tensors or `flowFromDirectory(dir)` over class folders of PNG/JPEG.
 *
 * Differences from Keras, on purpose: `shear_range` is in DEGREES (as Keras >= 2.1.3; older
 * Keras took radians); random draws come from a seeded mulberry32 per (seed, epoch, batch),
 * so equal seeds give identical batches but not numpy's numbers; images whose size differs
 * from `targetSize` are resized with PIL-style bilinear (Keras's load_img default is nearest).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeImage, isImageFile, toGrayscale } from './image-io';
import { resizeBilinear } from './resize';
import { ArrayBatch, DataSource, epochOrder, toArrayBatch } from './data-source';
import {
  applyTransform,
  FillMode,
  IDENTITY_TRANSFORM,
  mixSeed,
  mulberry32,
  randomErase,
  RandomErasingConfig,
  TransformParams,
} from './image-transform';
import { canReadSync } from '../engine/read';
import { countClasses, oneHot } from './labels';

export { FillMode, RandomErasingConfig, TransformParams } from './image-transform';

/** An image as the generator sees it: interleaved h x w x c floats. */
export type PreprocessingFunction = (x: Float32Array, shape: [number, number, number]) => Float32Array | void;

/** ImageDataGenerator options; Keras's snake_case names are accepted as aliases. */
export interface ImageDataGeneratorConfig {
  /** Degrees; the angle is uniform in [-r, r]. */
  rotationRange?: number;
  /** Fraction of the width if < 1, else pixels; uniform in [-r, r]. */
  widthShiftRange?: number;
  /** Fraction of the height if < 1, else pixels. */
  heightShiftRange?: number;
  /** Shear angle in degrees, uniform in [-r, r]. */
  shearRange?: number;
  /** z → zx, zy drawn independently in [1-z, 1+z]; or an explicit [lo, hi]. */
  zoomRange?: number | [number, number];
  horizontalFlip?: boolean;
  verticalFlip?: boolean;
  /** scipy.ndimage edge mode for points outside the input (default 'nearest'). */
  fillMode?: FillMode;
  /** Value outside the input for fillMode 'constant'. */
  cval?: number;
  /** Multiplies every value after the preprocessing function (Keras order). */
  rescale?: number;
  /** Applied to each image after the random transform, before rescale. */
  preprocessingFunction?: PreprocessingFunction;
  /**
   * Not in Keras's ImageDataGenerator: random erasing, applied last (after rescale, so `value`
   * is in the output's scale), drawn from the same per-batch stream after Keras's draws.
   */
  randomErasing?: RandomErasingConfig;
  rotation_range?: number;
  width_shift_range?: number;
  height_shift_range?: number;
  shear_range?: number;
  zoom_range?: number | [number, number];
  horizontal_flip?: boolean;
  vertical_flip?: boolean;
  fill_mode?: FillMode;
  preprocessing_function?: PreprocessingFunction;
}

/** The generator's options after defaults and aliases are resolved. */
export interface ResolvedGeneratorConfig {
  rotationRange: number;
  widthShiftRange: number;
  heightShiftRange: number;
  shearRange: number;
  zoomRange: [number, number];
  horizontalFlip: boolean;
  verticalFlip: boolean;
  fillMode: FillMode;
  cval: number;
  rescale?: number;
  preprocessingFunction?: PreprocessingFunction;
  randomErasing?: RandomErasingConfig;
}

/** Options of `flow(x, y)`. */
export interface FlowOptions {
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
}

/** Options of `flowFromDirectory(dir)`, as Keras's flow_from_directory. */
export interface DirectoryFlowOptions extends FlowOptions {
  /** [height, width] every image is resized to (default [256, 256] as Keras). */
  targetSize?: [number, number];
  /** Only 'grayscale' (the models are single-channel). */
  colorMode?: 'grayscale';
  /** Only 'categorical' (one-hot targets). */
  classMode?: 'categorical';
  /** Class folder names in label order; default: the sub-folders, sorted. */
  classes?: string[];
  /** 'error' (default): a bad image stops with its file name; 'skip': it is dropped and counted. */
  onBadImage?: 'error' | 'skip';
  /** Read the next batch's files while the current batch trains (default true). */
  prefetch?: boolean;
}

/** Keras-style image augmentation and batching. */
export class ImageDataGenerator {
  readonly config: ResolvedGeneratorConfig;

  constructor(config: ImageDataGeneratorConfig = {}) {
    const zoom = config.zoomRange ?? config.zoom_range ?? 0;
    const zoomRange: [number, number] = typeof zoom === 'number' ? [1 - zoom, 1 + zoom] : zoom;
    if (zoomRange.length !== 2 || !(zoomRange[0] <= zoomRange[1])) {
      throw new Error(`ImageDataGenerator: zoomRange must be a number or [lo, hi], got ${JSON.stringify(zoom)}`);
    }
    const fillMode = config.fillMode ?? config.fill_mode ?? 'nearest';
    if (!['nearest', 'constant', 'reflect', 'wrap'].includes(fillMode)) {
      throw new Error(`ImageDataGenerator: fillMode must be nearest, constant, reflect or wrap, got '${fillMode}'`);
    }
    const erase = config.randomErasing;
    if (erase) {
      const { probability = 0.5, scale = [0.02, 0.33], ratio = [0.3, 3.3] } = erase;
      if (!(probability >= 0 && probability <= 1))
        throw new Error(`ImageDataGenerator: randomErasing.probability must be in 0..1, got ${probability}`);
      if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1))
        throw new Error(`ImageDataGenerator: randomErasing.scale must be [lo, hi] with 0 < lo <= hi <= 1, got ${JSON.stringify(scale)}`);
      if (!(ratio[0] > 0 && ratio[0] <= ratio[1]))
        throw new Error(`ImageDataGenerator: randomErasing.ratio must be [lo, hi] with 0 < lo <= hi, got ${JSON.stringify(ratio)}`);
    }
    this.config = {
      rotationRange: config.rotationRange ?? config.rotation_range ?? 0,
      widthShiftRange: config.widthShiftRange ?? config.width_shift_range ?? 0,
      heightShiftRange: config.heightShiftRange ?? config.height_shift_range ?? 0,
      shearRange: config.shearRange ?? config.shear_range ?? 0,
      zoomRange,
      horizontalFlip: config.horizontalFlip ?? config.horizontal_flip ?? false,
      verticalFlip: config.verticalFlip ?? config.vertical_flip ?? false,
      fillMode,
      cval: config.cval ?? 0,
      rescale: config.rescale,
      preprocessingFunction: config.preprocessingFunction ?? config.preprocessing_function,
      randomErasing: config.randomErasing,
    };
  }

  /** keras-preprocessing `get_random_transform`: draws in Keras's order from `rand`. */
  getRandomTransform(h: number, w: number, rand: () => number): TransformParams {
    const c = this.config;
    const uniform = (lo: number, hi: number) => lo + (hi - lo) * rand();
    const theta = c.rotationRange ? uniform(-c.rotationRange, c.rotationRange) : 0;
    let tx = c.heightShiftRange ? uniform(-c.heightShiftRange, c.heightShiftRange) : 0;
    if (c.heightShiftRange && c.heightShiftRange < 1) tx *= h;
    let ty = c.widthShiftRange ? uniform(-c.widthShiftRange, c.widthShiftRange) : 0;
    if (c.widthShiftRange && c.widthShiftRange < 1) ty *= w;
    const shear = c.shearRange ? uniform(-c.shearRange, c.shearRange) : 0;
    const [lo, hi] = c.zoomRange;
    const noZoom = lo === 1 && hi === 1;
    const zx = noZoom ? 1 : uniform(lo, hi);
    const zy = noZoom ? 1 : uniform(lo, hi);
    const flipHorizontal = c.horizontalFlip ? rand() < 0.5 : false;
    const flipVertical = c.verticalFlip ? rand() < 0.5 : false;
    return { theta, tx, ty, shear, zx, zy, flipHorizontal, flipVertical };
  }

  /** Applies `params` to one h x w x c image (a new array). */
  applyTransform(x: Float32Array, h: number, w: number, c: number, params: TransformParams = IDENTITY_TRANSFORM): Float32Array {
    return applyTransform(x, h, w, c, params, this.config.fillMode, this.config.cval);
  }

  /** A random transform of one image. */
  randomTransform(x: Float32Array, h: number, w: number, c: number, rand: () => number): Float32Array {
    return this.applyTransform(x, h, w, c, this.getRandomTransform(h, w, rand));
  }

  /** preprocessing_function, then rescale (keras-preprocessing `standardize`), in place when possible. */
  standardize(x: Float32Array, shape: [number, number, number]): Float32Array {
    const fn = this.config.preprocessingFunction;
    if (fn) x = fn(x, shape) ?? x;
    const r = this.config.rescale;
    if (r) for (let i = 0; i < x.length; i++) x[i] *= r;
    return x;
  }

  /** Batches of augmented images from in-memory tensors x [N,h,w,c] and one-hot y [N,k]. */
  flow(x: tf.Tensor4D, y: tf.Tensor2D, opts: FlowOptions = {}): ArrayFlow {
    return new ArrayFlow(this, x, y, opts);
  }

  /** Batches of augmented images from `dir/<class>/*.png|jpg` (the layout `facial preprocess` writes). */
  flowFromDirectory(dir: string, opts: DirectoryFlowOptions = {}): DirectoryFlow {
    return new DirectoryFlow(this, dir, opts);
  }

  /**
   * Augments the batches of any DataSource (e.g. `fromFacial`, which resizes per batch and so
   * works at 200x200): each image gets a random transform, then standardize. The random
   * stream depends only on (seed, epoch, batch), so resumed runs repeat it.
   */
  flowFromSource(source: DataSource, opts: { seed?: number } = {}): DataSource {
    const seed = opts.seed ?? 0;
    const transform = (pixels: Float32Array, shape: [number, number, number, number], epoch: number, b: number) =>
      this.transformBatch(pixels, shape[0], [shape[1], shape[2], shape[3]], mulberry32(mixSeed(seed, epoch, b, 0xa06)));
    return {
      size: source.size,
      numBatches: source.numBatches,
      imageSize: source.imageSize,
      ...(source.classNames ? { classNames: source.classNames } : {}),
      classCounts: source.classCounts?.bind(source),
      async *batches(epoch: number, fromBatch = 0): AsyncIterableIterator<ArrayBatch> {
        let b = fromBatch;
        // Augmentation works on typed arrays: an array batch (fromFacial) goes in as it is, a
        // tensor batch (fromTensors, fromDataset) is read once; what comes out stays an array.
        for await (const batch of source.batches(epoch, fromBatch)) {
          const { pixels, shape, ys } = await toArrayBatch(batch);
          yield { pixels: transform(pixels, shape, epoch, b++), shape, ys };
        }
      },
    };
  }

  /** Augments + standardizes a stack of images in one batch; `rand` is that batch's stream. */
  transformBatch(pixels: Float32Array, n: number, shape: [number, number, number], rand: () => number): Float32Array {
    const [h, w, c] = shape;
    const per = h * w * c;
    const out = new Float32Array(n * per);
    for (let i = 0; i < n; i++) {
      const img = this.standardize(this.randomTransform(pixels.subarray(i * per, (i + 1) * per), h, w, c, rand), shape);
      if (this.config.randomErasing) randomErase(img, h, w, c, this.config.randomErasing, rand);
      out.set(img, i * per);
    }
    return out;
  }
}

/**
 * `flow(x, y)`: a DataSource over in-memory arrays, copied out of the tensors once: at once where
 * the backend reads synchronously, else (WebGPU in Node) at the first batch, so keep the tensors
 * alive until then.
 */
export class ArrayFlow implements DataSource {
  readonly size: number;
  readonly numBatches: number;
  readonly imageSize?: number;
  private pixels: Float32Array | null = null;
  private labels: Uint8Array | null = null;
  private pending: { x: tf.Tensor4D; y: tf.Tensor2D } | null = null;
  private readonly shape: [number, number, number];
  private readonly numClasses: number;
  private readonly batchSize: number;

  constructor(
    private readonly gen: ImageDataGenerator,
    x: tf.Tensor4D,
    y: tf.Tensor2D,
    private readonly opts: FlowOptions,
  ) {
    if (x.shape[0] !== y.shape[0]) throw new Error(`flow: ${x.shape[0]} images but ${y.shape[0]} labels`);
    if (canReadSync()) {
      this.pixels = x.dataSync() as Float32Array;
      this.labels = Uint8Array.from(tf.tidy(() => y.argMax(-1).dataSync()));
    } else {
      this.pending = { x, y };
    }
    this.shape = [x.shape[1], x.shape[2], x.shape[3]];
    this.numClasses = y.shape[1];
    this.size = x.shape[0];
    this.batchSize = opts.batchSize ?? 32;
    this.numBatches = Math.ceil(this.size / this.batchSize);
    this.imageSize = x.shape[1] === x.shape[2] ? x.shape[1] : undefined;
  }

  private async load(): Promise<{ pixels: Float32Array; labels: Uint8Array }> {
    if (this.pending) {
      const { x, y } = this.pending;
      if (x.isDisposed || y.isDisposed) throw new Error('flow: the tensors were disposed before the first batch was read');
      const ids = y.argMax(-1);
      this.pixels = (await x.data()) as Float32Array;
      this.labels = Uint8Array.from(await ids.data());
      ids.dispose();
      this.pending = null;
    }
    return { pixels: this.pixels!, labels: this.labels! };
  }

  async classCounts(): Promise<number[]> {
    return countClasses((await this.load()).labels, this.numClasses);
  }

  async *batches(epoch: number, fromBatch = 0): AsyncIterableIterator<ArrayBatch> {
    const { pixels, labels } = await this.load();
    const seed = this.opts.seed ?? 0;
    const order = epochOrder(this.size, this.opts.shuffle ?? true, seed, epoch);
    const per = this.shape[0] * this.shape[1] * this.shape[2];
    for (let b = fromBatch; b < this.numBatches; b++) {
      const idx = order.subarray(b * this.batchSize, Math.min(this.size, (b + 1) * this.batchSize));
      const src = new Float32Array(idx.length * per);
      idx.forEach((k, i) => src.set(pixels.subarray(k * per, (k + 1) * per), i * per));
      const out = this.gen.transformBatch(src, idx.length, this.shape, mulberry32(mixSeed(seed, epoch, b)));
      yield {
        pixels: out,
        shape: [idx.length, ...this.shape],
        ys: oneHot(
          Array.from(idx, (k) => labels[k]),
          this.numClasses,
        ),
      };
    }
  }
}

/** `flowFromDirectory(dir)`: a DataSource over class folders, reading the next batch while the current one trains. */
export class DirectoryFlow implements DataSource {
  readonly size: number;
  readonly numBatches: number;
  readonly imageSize: number;
  /** Class folder names, in label order. */
  readonly classes: string[];
  /** Every image file, and its class id. */
  readonly files: string[] = [];
  readonly labels: Uint8Array;
  /** Files dropped as unreadable (onBadImage 'skip'). */
  readonly skippedFiles = new Set<string>();
  private readonly batchSize: number;
  private readonly target: [number, number];

  constructor(
    private readonly gen: ImageDataGenerator,
    readonly dir: string,
    private readonly opts: DirectoryFlowOptions,
  ) {
    if (opts.colorMode && opts.colorMode !== 'grayscale')
      throw new Error(`flowFromDirectory: colorMode '${opts.colorMode}' is not supported (only 'grayscale')`);
    if (opts.classMode && opts.classMode !== 'categorical')
      throw new Error(`flowFromDirectory: classMode '${opts.classMode}' is not supported (only 'categorical')`);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`flowFromDirectory: folder '${dir}' does not exist`);
    this.classes =
      opts.classes ??
      fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (this.classes.length === 0) throw new Error(`flowFromDirectory: '${dir}' has no class sub-folders`);
    const labels: number[] = [];
    this.classes.forEach((name, id) => {
      const sub = path.join(dir, name);
      if (!fs.existsSync(sub)) throw new Error(`flowFromDirectory: class folder '${sub}' is missing`);
      const images = fs.readdirSync(sub).filter(isImageFile).sort();
      if (images.length === 0) throw new Error(`flowFromDirectory: class folder '${sub}' has no PNG/JPEG images`);
      for (const f of images) {
        this.files.push(path.join(sub, f));
        labels.push(id);
      }
    });
    this.labels = Uint8Array.from(labels);
    this.target = opts.targetSize ?? [256, 256];
    this.imageSize = this.target[0];
    this.size = this.files.length;
    this.batchSize = opts.batchSize ?? 32;
    this.numBatches = Math.ceil(this.size / this.batchSize);
  }

  /** Number of files skipped so far as unreadable. */
  get skipped(): number {
    return this.skippedFiles.size;
  }

  classCounts(): number[] {
    return countClasses(this.labels, this.classes.length);
  }

  /** Reads (async I/O) and decodes one batch's files into 0..255 grayscale floats at targetSize. */
  private async load(idx: ArrayLike<number>): Promise<{ pixels: Float32Array; labels: number[] }> {
    const [h, w] = this.target;
    const bytes = await Promise.all(Array.from(idx, (k) => fs.promises.readFile(this.files[k])));
    const rows: Uint8Array[] = [];
    const labels: number[] = [];
    bytes.forEach((b, i) => {
      const file = this.files[idx[i]];
      try {
        const img = decodeImage(b, file);
        let gray = toGrayscale(img);
        if (img.width !== w || img.height !== h) gray = resizeBilinear(gray, img.width, img.height, w, h);
        rows.push(gray);
        labels.push(this.labels[idx[i]]);
      } catch (err) {
        if (this.opts.onBadImage !== 'skip') throw err;
        this.skippedFiles.add(file);
      }
    });
    const pixels = new Float32Array(rows.length * h * w);
    rows.forEach((r, i) => pixels.set(r, i * h * w));
    return { pixels, labels };
  }

  async *batches(epoch: number, fromBatch = 0): AsyncIterableIterator<ArrayBatch> {
    const seed = this.opts.seed ?? 0;
    const order = epochOrder(this.size, this.opts.shuffle ?? true, seed, epoch);
    const slice = (b: number) => order.subarray(b * this.batchSize, Math.min(this.size, (b + 1) * this.batchSize));
    const shape: [number, number, number] = [this.target[0], this.target[1], 1];
    const prefetch = this.opts.prefetch !== false;
    let pending: ReturnType<DirectoryFlow['load']> | null = null;
    for (let b = fromBatch; b < this.numBatches; b++) {
      const { pixels, labels } = await (pending ?? this.load(slice(b)));
      // Prefetch: the next batch's file reads run in libuv's pool while this batch trains.
      pending = prefetch && b + 1 < this.numBatches ? this.load(slice(b + 1)) : null;
      pending?.catch(() => undefined); // surfaced when awaited; avoids an unhandled rejection meanwhile
      if (labels.length === 0) continue;
      const out = this.gen.transformBatch(pixels, labels.length, shape, mulberry32(mixSeed(seed, epoch, b)));
      yield { pixels: out, shape: [labels.length, ...shape], ys: oneHot(labels, this.classes.length) };
    }
  }
}
