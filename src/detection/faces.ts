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
  return bySize(faces);
}

/** The border of the second search, for tight crops (a fraction of the longer side on each side). */
export const CROP_BORDER = 0.5;
/** A face this large (box side over the image's longer side) makes the image a tight crop. */
export const TIGHT_FACE = 0.5;

/**
 * The side of the zoomed search's tiles, as a fraction of the image's longer side: 2x2 tiles
 * overlapping by a fifth, so a face up to a fifth of the image lies whole in one, 1/0.6 times
 * larger in the detector's input than in the whole image's. On FER2013 PublicTest faces pasted
 * into 640x480 pictures (scripts/pasted-faces.ts), the whole-image search misses 3.8% (9% of
 * those 72 to 100 pixels wide); the detector finds 99.5% of FER2013's faces at about half its
 * input, so a closer look is where the missed ones are.
 */
export const TILE = 0.6;

/** A rectangle of an image, in its pixels. */
interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The 2x2 (or, along a side shorter than a tile, 1) overlapping tiles of a w x h image. */
export function zoomTiles(w: number, h: number): Region[] {
  const side = Math.round(TILE * Math.max(w, h));
  const tw = Math.min(side, w);
  const th = Math.min(side, h);
  const xs = tw < w ? [0, w - tw] : [0];
  const ys = th < h ? [0, h - th] : [0];
  return ys.flatMap((y) => xs.map((x) => ({ x, y, width: tw, height: th })));
}

/** The pixels of `r` as an image of their own. */
function cropRegion(img: RawImage, r: Region): RawImage {
  const c = img.channels;
  const data = new Uint8Array(r.width * r.height * c);
  for (let y = 0; y < r.height; y++) {
    const from = ((r.y + y) * img.width + r.x) * c;
    data.set(img.data.subarray(from, from + r.width * c), y * r.width * c);
  }
  return { data, width: r.width, height: r.height, channels: c };
}

/** A face found in a tile, in the whole image's pixels (its frame recomputed from the moved box). */
function shiftFace(f: DetectedFace, dx: number, dy: number): DetectedFace {
  const box = { ...f.box, x: f.box.x + dx, y: f.box.y + dy };
  return { ...f, box, keypoints: f.keypoints.map(([x, y]): [number, number] => [x + dx, y + dy]), frame: ferFrame(box) };
}

const corners = (f: DetectedFace) => ({ x1: f.box.x, y1: f.box.y, x2: f.box.x + f.box.width, y2: f.box.y + f.box.height });

/** How findFaces searches. */
export interface SearchOptions {
  /**
   * Grey border on each side before detection, as a fraction of the longer side: one search with
   * it. Default: none, then CROP_BORDER when the image looks like a tight crop (see findFaces).
   */
  border?: number;
  /** Faces of two searches (or two tiles) overlapping by more than this IoU are one face (default 0.3). */
  iouThreshold?: number;
  /** Look closer (see TILE) when the other searches find nothing (default true). */
  zoom?: boolean;
}

/**
 * The faces in `img`, largest first. `detect` runs the detector on an inputSize^2 RGB input in
 * -1..1 and returns its decoded faces. Without `opts.border`, the photo is searched as it is
 * (letterboxed to a square, no border: faces stay as large as they can be in the input), and
 * again with a CROP_BORDER border when that finds nothing or a face as large as a tight crop's
 * (at least TIGHT_FACE of the longer side), which BlazeFace, trained on faces with context
 * around them, boxes badly or misses; where the two searches overlap, the second one's face wins.
 * When both find nothing in an image at least the detector's input wide, its 2x2 zoomed tiles
 * are searched (a photo with a face costs nothing more; one without costs four more searches).
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
  const threshold = opts.iouThreshold ?? 0.3;
  const plain = await search(0);
  const long = Math.max(img.width, img.height);
  if (plain.length > 0 && (plain[0].box.width + plain[0].box.height) / 2 < TIGHT_FACE * long) return plain;
  const bordered = await search(CROP_BORDER);
  const others = plain.filter((p) => bordered.every((b) => iou(corners(p), corners(b)) <= threshold));
  const found = [...bordered, ...others];
  if (found.length > 0 || opts.zoom === false || long < inputSize) return bySize(found);
  const zoomed: DetectedFace[] = [];
  for (const tile of zoomTiles(img.width, img.height)) {
    const { pixels, letterbox } = letterboxInput(cropRegion(img, tile), inputSize, 0);
    for (const f of imageFaces(await detect(pixels), letterbox).map((f) => shiftFace(f, tile.x, tile.y))) {
      // a face in two tiles' overlap is one face: the more confident sighting stays
      const same = zoomed.findIndex((z) => iou(corners(z), corners(f)) > threshold);
      if (same < 0) zoomed.push(f);
      else if (f.score > zoomed[same].score) zoomed[same] = f;
    }
  }
  return bySize(zoomed);
}

/** Largest box first. */
function bySize(faces: DetectedFace[]): DetectedFace[] {
  return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}
