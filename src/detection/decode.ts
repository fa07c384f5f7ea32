/**
 * Decoding BlazeFace's raw outputs into face boxes: each of the 896 anchors predicts a score
 * (a logit) and 16 regressors: the box centre's offset from the anchor, the box's width and
 * height, and six keypoints as offsets from the anchor (right eye, left eye, nose tip, mouth,
 * right ear tragion, left ear tragion), all in input pixels (MediaPipe's x/y/w/h_scale equal
 * the 256 input side for the back model). Overlapping boxes are then reduced by NMS, and each
 * kept face is the score-weighted mean of the boxes and keypoints it suppressed (MediaPipe's
 * WEIGHTED overlap for BlazeFace): one anchor's box is noisy, the mean of its neighbours steadier.
 *
 * Only a relative import: the browser example loads this file too (examples/browser/serve.ts).
 */
import { Corners, nmsClusters } from './nms';

/** Regressors per anchor: x, y, w, h and six keypoints (x, y). */
export const REGRESSORS = 16;
/** Keypoints per face. */
export const KEYPOINTS = 6;

/** A face as the detector sees it, in the detector's input pixels. */
export interface RawFace extends Corners {
  /** Probability that the box holds a face (sigmoid of the logit). */
  score: number;
  /** Six keypoints [x0, y0, ..., x5, y5]: right eye, left eye, nose, mouth, right ear, left ear. */
  keypoints: number[];
}

/** How candidates become faces. */
export interface DecodeOptions {
  /** Candidates scoring below this are dropped (default 0.5). */
  minScore?: number;
  /** Boxes overlapping a better one by more than this IoU are dropped (default 0.3). */
  iouThreshold?: number;
  /** At most this many faces (default 20). */
  maxFaces?: number;
}

/** One output tensor of the model, read back: its shape and values. */
export interface OutputPart {
  shape: number[];
  data: Float32Array;
}

/**
 * The converted graph gives four outputs in no fixed order ([1,512,1], [1,384,1], [1,512,16],
 * [1,384,16]): scores and regressors of the 16x16 map (512 anchors) and of the 8x8 map (384).
 * This joins them in anchor order (the larger map first), recognising each by its shape.
 */
export function joinOutputs(parts: OutputPart[]): { logits: Float32Array; regressors: Float32Array } {
  const find = (anchors: number, width: number) => {
    const part = parts.find((p) => p.shape.length === 3 && p.shape[1] === anchors && p.shape[2] === width);
    if (!part)
      throw new Error(`BlazeFace: no output of shape [1, ${anchors}, ${width}] among ${parts.map((p) => `[${p.shape}]`).join(', ')}`);
    return part.data;
  };
  const logits = new Float32Array(896);
  logits.set(find(512, 1), 0);
  logits.set(find(384, 1), 512);
  const regressors = new Float32Array(896 * REGRESSORS);
  regressors.set(find(512, REGRESSORS), 0);
  regressors.set(find(384, REGRESSORS), 512 * REGRESSORS);
  return { logits, regressors };
}

/** The logistic function with MediaPipe's clipping of the logit to [-100, 100]. */
export function sigmoid(logit: number): number {
  const x = Math.max(-100, Math.min(100, logit));
  return 1 / (1 + Math.exp(-x));
}

/** The box of anchor `i`: centre = anchor + (x, y) offset, size = (w, h). */
export function decodeBox(regressors: ArrayLike<number>, anchors: ArrayLike<number>, i: number): Corners {
  const r = i * REGRESSORS;
  const cx = anchors[2 * i] + regressors[r];
  const cy = anchors[2 * i + 1] + regressors[r + 1];
  const w = regressors[r + 2];
  const h = regressors[r + 3];
  return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
}

/** The six keypoints of anchor `i`, each an offset from the anchor's centre. */
export function decodeKeypoints(regressors: ArrayLike<number>, anchors: ArrayLike<number>, i: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < KEYPOINTS; k++) {
    out.push(anchors[2 * i] + regressors[i * REGRESSORS + 4 + 2 * k], anchors[2 * i + 1] + regressors[i * REGRESSORS + 5 + 2 * k]);
  }
  return out;
}

/**
 * The faces among all anchors' predictions: scored, thresholded, clustered by NMS, each the
 * score-weighted mean of its cluster, scored as its best member; best first.
 */
export function decodeFaces(
  logits: ArrayLike<number>,
  regressors: ArrayLike<number>,
  anchors: ArrayLike<number>,
  opts: DecodeOptions = {},
): RawFace[] {
  const n = logits.length;
  if (regressors.length !== n * REGRESSORS || anchors.length !== n * 2) {
    throw new Error(
      `BlazeFace: ${n} scores, ${regressors.length / REGRESSORS} regressor rows and ${anchors.length / 2} anchors do not match`,
    );
  }
  const scores = Array.from(logits, sigmoid);
  const boxes = Array.from({ length: n }, (_, i) => decodeBox(regressors, anchors, i));
  const clusters = nmsClusters(boxes, scores, opts.iouThreshold ?? 0.3, opts.minScore ?? 0.5, opts.maxFaces ?? 20);
  return clusters.map(({ index, members }) => {
    let total = 0;
    const mean = { x1: 0, y1: 0, x2: 0, y2: 0 };
    const keypoints = new Array<number>(2 * KEYPOINTS).fill(0);
    for (const i of members) {
      const w = scores[i];
      total += w;
      mean.x1 += w * boxes[i].x1;
      mean.y1 += w * boxes[i].y1;
      mean.x2 += w * boxes[i].x2;
      mean.y2 += w * boxes[i].y2;
      decodeKeypoints(regressors, anchors, i).forEach((v, k) => (keypoints[k] += w * v));
    }
    return {
      x1: mean.x1 / total,
      y1: mean.y1 / total,
      x2: mean.x2 / total,
      y2: mean.y2 / total,
      score: scores[index],
      keypoints: keypoints.map((v) => v / total),
    };
  });
}
