/**
 * Emotion prediction for photos, face by face: each image is searched for faces
 * (src/detection/), each face is cut as FER2013's faces were framed (square, grey as PIL's
 * luma, edge pixels repeated) and classified exactly as `predict` classifies a crop
 * (preprocessImage: stretch when the model wants it, PIL's resize to the model's side with
 * the side's shrink filter, x / 255 - 0.5). One image is decoded at a time; an unreadable image is a failure naming it.
 */
import * as tf from '@tensorflow/tfjs';
import { Emotion } from '../data/emotions';
import { RawImage, readImage } from '../data/image-io';
import { fastPredictor, inferenceBatchSize } from '../models/inference';
import { checkDevice } from '../engine/capabilities';
import { DetectOptions, DetectedFace, FaceDetector } from '../detection/detector';
import { cropSquare } from '../detection/framing';
import type { ResampleFilter } from '../data/resize';
import { ImageInput, PredictFailure, classOfRow, imagePreparation, modelInputSide, preprocessImage } from './predict';
import { TestTimeAugmentation, withTestTimeAugmentation } from '../models/tta';
import { classNamesOf } from '../models/fine-tune';

/** A face found and classified: the detector's answer plus the classifier's (`C`: as Prediction's). */
export interface FacePrediction<C extends string = Emotion> extends DetectedFace {
  /** Most probable class id and its name (the model's class names: an Emotion for a FER2013 model). */
  label: number;
  emotion: C;
  /** Softmax output, one probability per class in the model's class order (EMOTIONS for a FER2013 model). */
  probabilities: number[];
}

/** An image searched for faces: its faces largest first (none: no face was found). */
export interface ImageFaces<C extends string = Emotion> {
  ok: true;
  /** The file path, or `image[i]` for a decoded image. */
  source: string;
  width: number;
  height: number;
  faces: FacePrediction<C>[];
}

/** One result per input, in input order. */
export type FacePredictResult<C extends string = Emotion> = ImageFaces<C> | PredictFailure;

/** Options of `predictFaces`. */
export interface PredictFacesOptions extends DetectOptions {
  /** A loaded detector (default: loaded for the call and disposed after). */
  detector?: FaceDetector;
  /** Faces per forward pass (default 32). */
  batchSize?: number;
  /** Bytescale each face before resizing; default as `predict` (on for models whose input is not 48). */
  stretch?: boolean;
  /** PIL's filter for shrinking a face larger than the model's side; default as `predict` (Lanczos at 48). */
  shrink?: ResampleFilter;
  /** 'flip' averages each face's probabilities with its mirror's (models/tta.ts); default 'none', as `predict`. */
  tta?: TestTimeAugmentation;
  /** Called with each decoded image and its faces (how `facial predict --annotate` draws them without decoding twice). */
  onImage?: (img: RawImage, result: ImageFaces<string>) => void;
  /** Called after every image with the number of inputs handled so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Finds the faces in `images` (file paths or decoded images) and classifies each with `model`.
 * Never throws for a bad image: its result is a PredictFailure naming it.
 */
export async function predictFaces(
  model: tf.LayersModel,
  images: ImageInput[],
  opts: PredictFacesOptions = {},
): Promise<FacePredictResult<string>[]> {
  const requested = opts.batchSize ?? 32;
  if (!Number.isInteger(requested) || requested < 1)
    throw new Error(`predictFaces: batchSize must be a positive integer, got ${requested}`);
  const batchSize = inferenceBatchSize(model, requested);
  const side = modelInputSide(model);
  const prep = imagePreparation(side, opts);
  const names = classNamesOf(model);
  const detector = opts.detector ?? (await FaceDetector.load());
  const predictor = withTestTimeAugmentation(fastPredictor(model), opts.tta ?? 'none');
  const results: FacePredictResult<string>[] = [];
  try {
    for (const [i, input] of images.entries()) {
      const source = typeof input === 'string' ? input : `image[${i}]`;
      let faces: DetectedFace[];
      let img: RawImage;
      const pixels: Float32Array[] = [];
      try {
        img = typeof input === 'string' ? readImage(input) : input;
        faces = await detector.detect(img, opts);
        for (const face of faces) pixels.push(preprocessImage(cropSquare(img, face.frame), side, prep));
      } catch (err) {
        const message = (err as Error).message;
        results.push({ ok: false, source, error: message.includes(source) ? message : `${source}: ${message}` });
        opts.onProgress?.(i + 1, images.length);
        continue;
      }
      const scored: FacePrediction<string>[] = [];
      for (let from = 0; from < faces.length; from += batchSize) {
        const chunk = pixels.slice(from, from + batchSize);
        const xs = new Float32Array(chunk.length * side * side);
        chunk.forEach((p, k) => xs.set(p, k * side * side));
        const probs = tf.tidy(() => predictor.predict(tf.tensor4d(xs, [chunk.length, side, side, 1])) as tf.Tensor2D);
        const values = await probs.data();
        const k = probs.shape[1];
        probs.dispose();
        checkDevice('predictFaces');
        chunk.forEach((_, row) => scored.push({ ...faces[from + row], ...classOfRow(values, row, k, names) }));
      }
      const result: ImageFaces<string> = { ok: true, source, width: img.width, height: img.height, faces: scored };
      results.push(result);
      opts.onImage?.(img, result);
      opts.onProgress?.(i + 1, images.length);
    }
  } finally {
    predictor.dispose();
    if (!opts.detector) detector.dispose();
  }
  return results;
}
