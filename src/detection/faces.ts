/**
 * The detector's raw faces (input pixels) as faces of the image: boxes and keypoints mapped
 * back through the letterbox, each given its FER2013 frame, largest first (the order
 * `facial predict` prints and numbers them in).
 *
 * Only relative imports: the browser example loads this file too (examples/browser/serve.ts).
 */
import type { RawFace } from './decode';
import { Letterbox, toImageX, toImageY } from './letterbox';
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
