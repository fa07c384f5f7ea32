/**
 * The anchors of MediaPipe's BlazeFace "back" detector (256x256 input, 896 anchors): one
 * centre per grid cell per anchor, in input pixels, in the order the model's outputs list
 * them (layer by layer, row by row, column by column, then the anchors of one cell). The
 * back model's anchors have a fixed size of 1 (MediaPipe's fixed_anchor_size), so a centre
 * is all an anchor holds; box sizes come straight from the regressors.
 *
 * No imports: the browser example loads this file too (examples/browser/serve.ts).
 */

/** One feature map of the detector: its stride in input pixels and how many anchors a cell holds. */
export interface AnchorLayer {
  stride: number;
  perCell: number;
}

/** BlazeFace back: a 16x16 map (stride 16) with 2 anchors a cell, then an 8x8 map (stride 32) with 6. */
export const BLAZEFACE_LAYERS: readonly AnchorLayer[] = [
  { stride: 16, perCell: 2 },
  { stride: 32, perCell: 6 },
];

/**
 * The anchor centres for a square input of `inputSize` pixels: [x0, y0, x1, y1, ...]. A cell
 * (col, row) of stride s is centred at ((col + 0.5) s, (row + 0.5) s), MediaPipe's
 * anchor_offset of 0.5.
 */
export function anchorCentres(inputSize: number, layers: readonly AnchorLayer[] = BLAZEFACE_LAYERS): Float32Array {
  let count = 0;
  for (const { stride, perCell } of layers) count += Math.ceil(inputSize / stride) ** 2 * perCell;
  const out = new Float32Array(count * 2);
  let i = 0;
  for (const { stride, perCell } of layers) {
    const cells = Math.ceil(inputSize / stride);
    for (let row = 0; row < cells; row++) {
      for (let col = 0; col < cells; col++) {
        for (let a = 0; a < perCell; a++) {
          out[i++] = (col + 0.5) * stride;
          out[i++] = (row + 0.5) * stride;
        }
      }
    }
  }
  return out;
}
