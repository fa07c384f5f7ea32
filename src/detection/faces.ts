/**
 * Searching an image for faces with BlazeFace: how the image is letterboxed (once or twice,
 * see findFaces), and the detector's raw faces (input pixels) as faces of the image: boxes and
 * keypoints mapped back through the letterbox, each given its FER2013 frame, largest first
 * (the order `facial predict` prints and numbers them in). The detector itself is a callback,
 * so Node (detector.ts) and the browser page run the same search.
 *
 * Only relative imports: the browser example loads this file too (examples/browser/serve.ts).
 */
import type { RawFace } from './decode';
import type { RawImage } from '../data/raw-image';
import { Letterbox, letterboxInput, toImageX, toImageY } from './letterbox';
import { iou } from './nms';
import { Box, Square, ferFrame } from './framing';

/** A face found in an image, in the image's pixels. */
export interface DetectedFace {
  /** The detector's box. */
  box: Box;
  /** The detector's confidence, 0..1. */
  score: number;
  /** Six [x, y] points: right eye, left eye, nose tip, mouth, right ear, left ear (the subject's). */
  keypoints: [number, number][];
  /** The square the classifier sees: the box framed as FER2013's faces (framing.ts). */
  frame: Square;
}

/** `raw` (from decodeFaces on a letterboxed input) in image pixels, largest box first. */
export function imageFaces(raw: RawFace[], letterbox: Letterbox): DetectedFace[] {
  const faces = raw.map((f): DetectedFace => {
    const x = toImageX(letterbox, f.x1);
    const y = toImageY(letterbox, f.y1);
    const box = { x, y, width: toImageX(letterbox, f.x2) - x, height: toImageY(letterbox, f.y2) - y };
    const keypoints = Array.from({ length: f.keypoints.length / 2 }, (_, k): [number, number] => [
      toImageX(letterbox, f.keypoints[2 * k]),
      toImageY(letterbox, f.keypoints[2 * k + 1]),
    ]);
    return { box, score: f.score, keypoints, frame: ferFrame(box) };
  });
  return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}

/** The border of the second search, for tight crops (a fraction of the longer side on each side). */
export const CROP_BORDER = 0.5;
/** A face this large (box side over the image's longer side) makes the image a tight crop. */
export const TIGHT_FACE = 0.5;

/** How findFaces searches. */
export interface SearchOptions {
  /**
   * Grey border on each side before detection, as a fraction of the longer side: one search with
   * it. Default: none, then CROP_BORDER when the image looks like a tight crop (see findFaces).
   */
  border?: number;
  /** Faces of the two searches overlapping by more than this IoU are one face (default 0.3). */
  iouThreshold?: number;
}

/**
 * The faces in `img`, largest first. `detect` runs the detector on an inputSize^2 RGB input in
 * -1..1 and returns its decoded faces. Without `opts.border`, the photo is searched as it is
 * (letterboxed to a square, no border: faces stay as large as they can be in the input), and
 * again with a CROP_BORDER border when that finds nothing or a face as large as a tight crop's
 * (at least TIGHT_FACE of the longer side), which BlazeFace, trained on faces with context
 * around them, boxes badly or misses; where the two searches overlap, the second one's face wins.
 */
export async function findFaces(
  img: RawImage,
  inputSize: number,
  detect: (pixels: Float32Array) => Promise<RawFace[]>,
  opts: SearchOptions = {},
): Promise<DetectedFace[]> {
  const search = async (border: number) => {
    const { pixels, letterbox } = letterboxInput(img, inputSize, border);
    return imageFaces(await detect(pixels), letterbox);
  };
  if (opts.border !== undefined) return search(opts.border);
  const plain = await search(0);
  const long = Math.max(img.width, img.height);
  if (plain.length > 0 && (plain[0].box.width + plain[0].box.height) / 2 < TIGHT_FACE * long) return plain;
  const bordered = await search(CROP_BORDER);
  const corners = (f: DetectedFace) => ({ x1: f.box.x, y1: f.box.y, x2: f.box.x + f.box.width, y2: f.box.y + f.box.height });
  const others = plain.filter((p) => bordered.every((b) => iou(corners(p), corners(b)) <= (opts.iouThreshold ?? 0.3)));
  return [...bordered, ...others].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}
