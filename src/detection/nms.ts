/**
 * Greedy non-maximum suppression on axis-aligned boxes: the best-scoring box is kept, every
 * remaining box that overlaps it by more than `iouThreshold` (intersection over union) is
 * dropped, and so on. The same rule as tf.image.nonMaxSuppression, in plain JavaScript over a
 * few hundred candidates, so it runs identically in Node and in the browser page. The dropped
 * boxes of each kept one are returned too, for MediaPipe's weighted blending (decode.ts).
 *
 * No imports: the browser example loads this file too (examples/browser/serve.ts).
 */

/** A box by its corners, in any one coordinate system. */
export interface Corners {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Intersection over union of two boxes; 0 when either has no area. */
export function iou(a: Corners, b: Corners): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** A kept box and the candidates it suppressed (itself included, best first). */
export interface Cluster {
  index: number;
  members: number[];
}

/**
 * Greedy NMS that also reports, for each kept box, the candidates it suppressed: boxes scoring
 * below `minScore` are never considered, the best remaining box is kept and takes every
 * remaining box whose IoU with it exceeds `iouThreshold`, and so on, at most `maxBoxes` times.
 * Ties in score keep the lower index first (a stable order).
 */
export function nmsClusters(
  boxes: Corners[],
  scores: ArrayLike<number>,
  iouThreshold: number,
  minScore: number,
  maxBoxes = Infinity,
): Cluster[] {
  let left = boxes
    .map((_, i) => i)
    .filter((i) => scores[i] >= minScore)
    .sort((a, b) => scores[b] - scores[a] || a - b);
  const clusters: Cluster[] = [];
  while (left.length > 0 && clusters.length < maxBoxes) {
    const best = left[0];
    const members = left.filter((i) => i === best || iou(boxes[best], boxes[i]) > iouThreshold);
    clusters.push({ index: best, members });
    left = left.filter((i) => !members.includes(i));
  }
  return clusters;
}

/** The indices nmsClusters keeps, best score first: tf.image.nonMaxSuppression's answer. */
export function nonMaxSuppression(
  boxes: Corners[],
  scores: ArrayLike<number>,
  iouThreshold: number,
  minScore: number,
  maxBoxes = Infinity,
): number[] {
  return nmsClusters(boxes, scores, iouThreshold, minScore, maxBoxes).map((c) => c.index);
}
