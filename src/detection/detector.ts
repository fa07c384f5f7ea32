/**
 * The face detector: MediaPipe's BlazeFace (back-camera model, 256x256, Apache-2.0) as the tfjs
 * graph model that the npm package @vladmandic/human carries (models/blazeface.json + .bin),
 * loaded from node_modules with plain @tensorflow/tfjs through the library's file IO handler:
 * nothing is downloaded at run time and no weights live in this repository. Decoding (anchors,
 * boxes, NMS) is ours: anchors.ts, decode.ts, nms.ts.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemIO } from '../io/model-io';
import { ensureBackend } from '../engine/select';
import type { RawImage } from '../data/raw-image';
import { readImage } from '../data/image-io';
import { anchorCentres } from './anchors';
import { DecodeOptions, OutputPart, RawFace, decodeFaces, joinOutputs } from './decode';
import { DetectedFace, SearchOptions, findFaces } from './faces';

export { DetectedFace } from './faces';

/** The detector's input side. */
export const DETECTOR_INPUT = 256;

/** blazeface.json inside the installed @vladmandic/human (its package exports hide the folder, so it is found from the main file). */
export function blazeFaceModelPath(): string {
  let main: string;
  try {
    main = require.resolve('@vladmandic/human');
  } catch {
    throw new Error('the face detector needs the npm package @vladmandic/human (it carries the BlazeFace weights): npm install');
  }
  return path.resolve(path.dirname(main), '..', 'models', 'blazeface.json');
}

/** Options of detection: decoding's, and the border (faces.ts's SearchOptions). */
export interface DetectOptions extends DecodeOptions, SearchOptions {}

/** A loaded BlazeFace; dispose() frees its weights. */
export class FaceDetector {
  private readonly anchors = anchorCentres(DETECTOR_INPUT);

  private constructor(readonly model: tf.GraphModel) {}

  /** Loads the weights from @vladmandic/human (or `modelJson`, a BlazeFace graph model of the same shape). */
  static async load(modelJson: string = blazeFaceModelPath()): Promise<FaceDetector> {
    await ensureBackend();
    try {
      return new FaceDetector(await tf.loadGraphModel(fileSystemIO(modelJson)));
    } catch (err) {
      throw new Error(`cannot load the face detector from ${modelJson}: ${(err as Error).message}`);
    }
  }

  /** The raw faces of one prepared input (DETECTOR_INPUT^2 RGB in -1..1), in input pixels. */
  async detectInput(pixels: Float32Array, opts: DecodeOptions = {}): Promise<RawFace[]> {
    const outputs = tf.tidy(() => this.model.execute(tf.tensor4d(pixels, [1, DETECTOR_INPUT, DETECTOR_INPUT, 3])) as tf.Tensor[]);
    let parts: OutputPart[];
    try {
      parts = await Promise.all(outputs.map(async (t) => ({ shape: t.shape, data: (await t.data()) as Float32Array })));
    } finally {
      tf.dispose(outputs);
    }
    const { logits, regressors } = joinOutputs(parts);
    return decodeFaces(logits, regressors, this.anchors, opts);
  }

  /** The faces in `img`, largest first, with their FER2013 frames (the search is faces.ts's findFaces). */
  async detect(img: RawImage, opts: DetectOptions = {}): Promise<DetectedFace[]> {
    return findFaces(img, DETECTOR_INPUT, (pixels) => this.detectInput(pixels, opts), opts);
  }

  /** Frees the weights. */
  dispose(): void {
    this.model.dispose();
  }
}

/**
 * The faces in one image (a PNG/JPEG path or a decoded image), largest first. Loads the
 * detector for the call unless `opts.detector` is given: pass one (FaceDetector.load()) to
 * detect in many images.
 */
export async function detectFaces(
  image: string | RawImage,
  opts: DetectOptions & { detector?: FaceDetector } = {},
): Promise<DetectedFace[]> {
  const img = typeof image === 'string' ? readImage(image) : image;
  const detector = opts.detector ?? (await FaceDetector.load());
  try {
    return await detector.detect(img, opts);
  } finally {
    if (!opts.detector) detector.dispose();
  }
}
