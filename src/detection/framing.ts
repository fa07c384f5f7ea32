/**
 * FER2013's framing, from a detector box: FER2013's 48x48 faces were cropped by their own
 * detector, each square around the face with some forehead and chin. scripts/fit-framing.ts
 * runs our detector on FER2013's faces and measures how the 48x48 frame relates to the box
 * it finds; the classifier, trained on that framing, gets a photo's face cut the same way:
 * a square `FER_FRAMING.scale` box sides wide, its centre moved by (dx, dy) box sides from the
 * box's centre, in grey (PIL's luma). Where the square leaves the image, the image's edge
 * pixels are repeated.
 *
 * Only relative imports: the browser example loads this file too (examples/browser/serve.ts).
 */
import { RawImage, toGrayscale } from '../data/raw-image';

/** A face box in image pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A square in image pixels (its corner may lie outside the image). */
export interface Square {
  x: number;
  y: number;
  side: number;
}

/** The FER2013 frame relative to a detector box (side = mean of the box's width and height). */
export interface Framing {
  /** The frame's side in box sides. */
  scale: number;
  /** The frame centre's offset from the box centre, in box sides (right, down). */
  dx: number;
  dy: number;
}

/**
 * Measured by `npx ts-node scripts/fit-framing.ts --data ../shared/data/fer2013.csv.gz --limit
 * 1000` (the first 1,000 Training faces; a face found in 995): medians over the faces found.
 * Quartiles: scale 1.072 .. 1.325, dx -0.030 .. 0.033, dy -0.136 .. -0.049 (FER2013's frame
 * sits a little higher than BlazeFace's box: more forehead, less chin).
 */
export const FER_FRAMING: Framing = { scale: 1.159, dx: -0.001, dy: -0.094 };

/** The FER2013-style square for a detector box. */
export function ferFrame(box: Box, framing: Framing = FER_FRAMING): Square {
  const side = (box.width + box.height) / 2;
  const cx = box.x + box.width / 2 + framing.dx * side;
  const cy = box.y + box.height / 2 + framing.dy * side;
  const frame = framing.scale * side;
  return { x: cx - frame / 2, y: cy - frame / 2, side: frame };
}

/**
 * The grey pixels (PIL's luma) of `square`, rounded to whole pixels, as a one-channel image,
 * edge pixels repeated outside `img`; its side is at least 1 pixel. Grey from the start keeps a
 * large photo's crop at one byte a pixel.
 */
export function cropSquare(img: RawImage, square: Square): RawImage {
  const side = Math.max(1, Math.round(square.side));
  const x0 = Math.round(square.x);
  const y0 = Math.round(square.y);
  const c = img.channels;
  const row: RawImage = { data: new Uint8Array(side * c), width: side, height: 1, channels: c };
  const data = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) {
    const sy = Math.min(img.height - 1, Math.max(0, y0 + y));
    for (let x = 0; x < side; x++) {
      const from = (sy * img.width + Math.min(img.width - 1, Math.max(0, x0 + x))) * c;
      for (let k = 0; k < c; k++) row.data[x * c + k] = img.data[from + k];
    }
    data.set(toGrayscale(row), y * side);
  }
  return { data, width: side, height: side, channels: 1 };
}
