/**
 * Emotion prediction for arbitrary photos. No face is detected: each image is converted to
 * grayscale (PIL luma), optionally stretched (scipy bytescale, as FACIAL(resize=...) did for
 * the 200x200 models), resized with PIL-exact bilinear to the model's input side, normalised
 * as in training (x/255 - 0.5) and scored in batches. Files are decoded one batch at a time,
 * so a folder of any size needs the memory of one batch; a file that cannot be read is
 * reported by name and the others are still scored.
 */
import * as tf from '@tensorflow/tfjs';
import { EMOTIONS, Emotion } from '../data/emotions';
import { inputPreparation } from '../data/input-preparation';
import { MIN_FACE_SIDE, RawImage, readImage, toGrayscale } from '../data/image-io';
import { NORMALISE_TABLE, ResampleFilter, prepareFaceInto } from '../data/resize';
import { fastPredictor, inferenceBatchSize } from '../models/inference';
import { checkDevice } from '../engine/capabilities';
import { TestTimeAugmentation, withTestTimeAugmentation } from '../models/tta';
import { classNamesOf } from '../models/fine-tune';

/** An image to score: a PNG/JPEG file path, or an already decoded image. */
export type ImageInput = string | RawImage;

/**
 * A scored image. `C` is the type of the model's class names: Emotion for a FER2013 model (the
 * shipped one: `loadPretrained().classify`), string for any model (`predict`), whose classes may
 * be a folder's own (issue 21).
 */
export interface Prediction<C extends string = Emotion> {
  ok: true;
  /** The file path, or `image[i]` for a decoded image. */
  source: string;
  /** Most probable class id and its name (the model's own class names: an Emotion for a FER2013 model). */
  label: number;
  emotion: C;
  /** Softmax output, one probability per class in the model's class order (EMOTIONS for a FER2013 model). */
  probabilities: number[];
  /** Set when the answer means little: an image smaller than MIN_FACE_SIDE on a side. */
  warning?: string;
}

/** An image that could not be scored, and why (the message names the file). */
export interface PredictFailure {
  ok: false;
  source: string;
  error: string;
}

/** One result per input, in input order (`C`: see Prediction). */
export type PredictResult<C extends string = Emotion> = Prediction<C> | PredictFailure;

/** Options of `predict`. */
export interface PredictOptions {
  /** Images per forward pass (default 32). */
  batchSize?: number;
  /**
   * Bytescale each image (stretch its own min..max to 0..255) before resizing, as the seed's
   * FACIAL(resize=200) did. Default: true when the model's input side is not 48, i.e. for the
   * models trained on stretched, resized faces; false for 48x48 models, trained without it.
   */
  stretch?: boolean;
  /** PIL's filter for shrinking an image larger than the model's side; default the side's InputPreparation.shrink (Lanczos at 48). */
  shrink?: ResampleFilter;
  /** Called after every batch with the number of inputs handled so far. */
  onProgress?: (done: number, total: number) => void;
  /** 'flip' averages each face's probabilities with its mirror's (models/tta.ts); default 'none'. */
  tta?: TestTimeAugmentation;
}

/** The square input side of a [N, s, s, 1] model. */
export function modelInputSide(model: tf.LayersModel): number {
  const shape = model.inputs[0].shape;
  const [, h, w, c] = shape;
  if (shape.length !== 4 || typeof h !== 'number' || h !== w || c !== 1) {
    throw new Error(`predict: expected a model with input [N, s, s, 1], got [${shape.map((d) => d ?? 'null')}]`);
  }
  return h;
}

/** `stretch` and `shrink` as given, else the model side's InputPreparation: what predict and predictFaces apply. */
export function imagePreparation(
  side: number,
  opts: { stretch?: boolean; shrink?: ResampleFilter },
): { stretch: boolean; shrink: ResampleFilter } {
  const rule = inputPreparation(side);
  return { stretch: opts.stretch ?? rule.stretch, shrink: opts.shrink ?? rule.shrink };
}

/**
 * Grayscale, (stretch), resize and normalise one decoded image into `out` (side * side
 * floats): the pipeline the training data went through, a larger image shrunk with `shrink`.
 */
export function preprocessImage(
  img: RawImage,
  side: number,
  prep: { stretch: boolean; shrink: ResampleFilter },
  out: Float32Array = new Float32Array(side * side),
): Float32Array {
  const gray = toGrayscale(img);
  const resized = new Uint8Array(side * side);
  prepareFaceInto(gray, img.width, img.height, side, prep.stretch, resized, prep.shrink);
  for (let i = 0; i < resized.length; i++) out[i] = NORMALISE_TABLE[resized[i]];
  return out;
}

/** Row `row` of a [N, k] softmax output read back: the probabilities, the best class and its name among `names`. */
export function classOfRow(
  values: tf.TypedArray,
  row: number,
  k: number,
  names: readonly string[] = EMOTIONS,
): { label: number; emotion: string; probabilities: number[] } {
  const probabilities = Array.from(values.subarray(row * k, (row + 1) * k));
  let label = 0;
  for (let c = 1; c < k; c++) if (probabilities[c] > probabilities[label]) label = c;
  return { label, emotion: names[label] ?? String(label), probabilities };
}

/**
 * Scores `images` (file paths or decoded images) with `model`, batch by batch. Never throws
 * for a bad image: its result is a PredictFailure naming it, and the others are scored.
 */
export async function predict(model: tf.LayersModel, images: ImageInput[], opts: PredictOptions = {}): Promise<PredictResult<string>[]> {
  const requested = opts.batchSize ?? 32;
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`predict: batchSize must be a positive integer, got ${requested}`);
  const batchSize = inferenceBatchSize(model, requested);
  const side = modelInputSide(model);
  const prep = imagePreparation(side, opts);
  const names = classNamesOf(model);
  const results: PredictResult<string>[] = new Array(images.length);
  // BN folded into the convolutions on wasm
  const predictor = withTestTimeAugmentation(fastPredictor(model), opts.tta ?? 'none');
  try {
    for (let from = 0; from < images.length; from += batchSize) {
      const chunk = images.slice(from, from + batchSize);
      const pixels = new Float32Array(chunk.length * side * side);
      const scored: number[] = []; // indices into results of the images that decoded
      const warnings = new Map<number, string>();
      chunk.forEach((input, i) => {
        const source = typeof input === 'string' ? input : `image[${from + i}]`;
        try {
          const img = typeof input === 'string' ? readImage(input) : input;
          if (Math.min(img.width, img.height) < MIN_FACE_SIDE) {
            warnings.set(
              from + i,
              `${source}: the image is only ${img.width}x${img.height} pixels; a face needs at least ${MIN_FACE_SIDE} on a side, so this answer means little`,
            );
          }
          preprocessImage(img, side, prep, pixels.subarray(scored.length * side * side, (scored.length + 1) * side * side));
          results[from + i] = { ok: false, source, error: '' }; // replaced once scored
          scored.push(from + i);
        } catch (err) {
          const message = (err as Error).message;
          results[from + i] = { ok: false, source, error: message.includes(source) ? message : `${source}: ${message}` };
        }
      });
      if (scored.length > 0) {
        const probs = tf.tidy(() => {
          const xs = tf.tensor4d(pixels.subarray(0, scored.length * side * side), [scored.length, side, side, 1]);
          return predictor.predict(xs) as tf.Tensor2D;
        });
        const values = await probs.data();
        const k = probs.shape[1];
        probs.dispose();
        checkDevice('predict');
        scored.forEach((index, row) => {
          const warning = warnings.get(index);
          results[index] = {
            ok: true,
            source: results[index].source,
            ...classOfRow(values, row, k, names),
            ...(warning ? { warning } : {}),
          };
        });
      }
      opts.onProgress?.(Math.min(from + batchSize, images.length), images.length);
    }
  } finally {
    predictor.dispose();
  }
  return results;
}
