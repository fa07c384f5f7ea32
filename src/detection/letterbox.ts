/**
 * The detector's input: the image centred on a square grey canvas with a border around it,
 * shrunk (or enlarged) to the detector's 256x256 with PIL-exact bilinear, one colour plane at a
 * time. The border lets tight face crops be found (BlazeFace was trained on faces with context
 * around them), and the square keeps the aspect ratio, which the anchors assume. Working on
 * 8-bit planes, never on a float copy of the full image, keeps memory at the decoded image plus
 * one plane, whatever the photo's size.
 *
 * Only relative imports: the browser example loads this file too (examples/browser/serve.ts).
 */
import type { RawImage } from '../data/raw-image';
import { resizeBilinear } from '../data/resize';

/** Where the original image sits in the detector's input, to map boxes back. */
export interface Letterbox {
  /** The input pixel where the image's left/top edge lies. */
  left: number;
  top: number;
  /** Original pixels per input pixel, per axis (they differ only by rounding). */
  scaleX: number;
  scaleY: number;
}

/** The grey of the border: the middle of 0..255, which the detector's normalisation maps to ~0. */
export const BORDER_GREY = 128;

/**
 * `img` as the detector's input: inputSize^2 RGB values scaled to -1..1 (x / 127.5 - 1, as
 * MediaPipe feeds BlazeFace), and the letterbox that maps input pixels back to the image's.
 * Grey images feed their one plane to all three channels; an alpha channel is ignored, as
 * the classifier's grey conversion ignores it.
 */
export function letterboxInput(img: RawImage, inputSize: number, border: number): { pixels: Float32Array; letterbox: Letterbox } {
  const { width: w, height: h, channels: c } = img;
  if (w < 1 || h < 1) throw new Error(`an image of ${w}x${h} pixels has nothing to detect in`);
  const square = Math.max(w, h) * (1 + 2 * border);
  const rw = Math.max(1, Math.round((w * inputSize) / square));
  const rh = Math.max(1, Math.round((h * inputSize) / square));
  const left = Math.floor((inputSize - rw) / 2);
  const top = Math.floor((inputSize - rh) / 2);
  const pixels = new Float32Array(inputSize * inputSize * 3).fill(BORDER_GREY / 127.5 - 1);
  const plane = new Uint8Array(w * h);
  let small = new Uint8Array(0);
  for (let ch = 0; ch < 3; ch++) {
    if (ch === 0 || c !== 1) {
      // a grey image has one plane: it is resized once and written to all three channels
      for (let p = 0; p < w * h; p++) plane[p] = img.data[p * c + ch];
      small = resizeBilinear(plane, w, h, rw, rh);
    }
    for (let y = 0; y < rh; y++) {
      for (let x = 0; x < rw; x++) pixels[((top + y) * inputSize + left + x) * 3 + ch] = small[y * rw + x] / 127.5 - 1;
    }
  }
  return { pixels, letterbox: { left, top, scaleX: w / rw, scaleY: h / rh } };
}

/** An input-pixel x coordinate in the original image's pixels. */
export function toImageX(lb: Letterbox, x: number): number {
  return (x - lb.left) * lb.scaleX;
}

/** An input-pixel y coordinate in the original image's pixels. */
export function toImageY(lb: Letterbox, y: number): number {
  return (y - lb.top) * lb.scaleY;
}
