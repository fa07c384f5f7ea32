/**
 * The decoded image type and its grey conversion, with no imports, so that code shared with
 * the browser example (src/detection/) can use them; image-io.ts re-exports both.
 */

/** A decoded image: `channels` interleaved 8-bit values per pixel, row-major. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/**
 * Converts any decoded image to 8-bit grayscale with ITU-R 601-2 luma
 * (L = R*299/1000 + G*587/1000 + B*114/1000), the formula PIL's convert('L') uses,
 * so colour photos become the grey faces the models were trained on.
 */
export function toGrayscale(img: RawImage): Uint8Array {
  const n = img.width * img.height;
  if (img.channels === 1) return img.data.slice(0, n);
  const out = new Uint8Array(n);
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    const r = img.data[i * c],
      g = img.data[i * c + 1],
      b = img.data[i * c + 2];
    // PIL rounds with integer arithmetic: (r*19595 + g*38470 + b*7471 + 0x8000) >> 16.
    out[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
  }
  return out;
}
