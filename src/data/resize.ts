/**
 * The seed's per-image pipeline, bit for bit: `scipy.misc.imresize(img, (s, s))` is
 * scipy's `bytescale` (stretch the image's own min..max to 0..255) followed by PIL's
 * `Image.resize((s, s), BILINEAR)` on an 8-bit 'L' image. Both are reproduced here on
 * typed arrays, including PIL's fixed-point arithmetic, so a 200x200 face built by this
 * library equals the one the Keras project trained on.
 */

/** PIL keeps 8-bit filter weights as fixed point with this many fractional bits (Resample.c). */
const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;

/**
 * scipy.misc.bytescale(img) for one image: (x - min) * (255 / (max - min)), clipped to
 * 0..255, plus 0.5, truncated to uint8. A constant image has max - min = 0, which scipy
 * replaces by 1, so every pixel becomes 0.
 */
export function bytescale(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  bytescaleInto(src, out);
  return out;
}

/** bytescale writing into `out` (same length as `src`); the hot path reuses buffers. */
export function bytescaleInto(src: Uint8Array, out: Uint8Array): void {
  let min = 255,
    max = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const lut = bytescaleTable(min, max);
  for (let i = 0; i < src.length; i++) out[i] = lut[src[i]];
}

const lutScratch = new Uint8Array(256);

/** The 256-entry map of one image's bytescale, computed in float64 exactly as numpy does. */
function bytescaleTable(min: number, max: number): Uint8Array {
  const cscale = max - min === 0 ? 1 : max - min;
  const scale = 255 / cscale; // numpy: float(high - low) / cscale, then (data - cmin) * scale
  for (let v = 0; v < 256; v++) {
    let x = (v - min) * scale;
    if (x < 0) x = 0;
    else if (x > 255) x = 255;
    lutScratch[v] = Math.trunc(x + 0.5);
  }
  return lutScratch;
}

/** PIL's filter weights for one axis: taps `[start, start+count)` per output pixel, int32 fixed point. */
interface AxisCoeffs {
  ksize: number;
  bounds: Int32Array; // [start0, count0, start1, count1, ...]
  weights: Int32Array; // outSize * ksize
}

const coeffCache = new Map<string, AxisCoeffs>();

/** PIL's resampling filters (Image.BOX .. Image.LANCZOS), each a kernel and its support at scale 1. */
export type ResampleFilter = 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

/** Resample.c's filter functions, transcribed (bicubic with a = -0.5, lanczos with 3 lobes). */
const FILTERS: Record<ResampleFilter, { support: number; kernel: (x: number) => number }> = {
  box: { support: 0.5, kernel: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, kernel: (x) => Math.max(0, 1 - Math.abs(x)) },
  hamming: { support: 1, kernel: (x) => (x === 0 ? 1 : Math.abs(x) >= 1 ? 0 : sinc(x) * (0.54 + 0.46 * Math.cos(Math.PI * x))) },
  bicubic: {
    support: 2,
    kernel: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, kernel: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/**
 * PIL's precompute_coeffs + normalize_coeffs_8bpc. When shrinking, the filter is widened by
 * the scale (PIL's antialiasing); when enlarging it keeps its own support. Cached per
 * (filter, inSize, outSize): every FER2013 image uses the same 48 -> s tables.
 */
function axisCoeffs(inSize: number, outSize: number, filter: ResampleFilter): AxisCoeffs {
  const key = `${filter}:${inSize}>${outSize}`;
  const hit = coeffCache.get(key);
  if (hit) return hit;
  const { support: unit, kernel } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = unit * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C's (int) cast truncates toward zero; PIL adds 0.5 to round the window ends.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < count; x++) {
      k[x] = kernel((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (let x = 0; x < count; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = count;
  }
  const coeffs = { ksize, bounds, weights };
  coeffCache.set(key, coeffs);
  return coeffs;
}

/** PIL's clip8: drop the fixed-point fraction, clamp to 0..255. */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass: rows of `src` (inW wide) into `dst` (outW wide), `rows` rows. */
function resampleHorizontal(src: Uint8Array, inW: number, dst: Uint8Array, outW: number, rows: number, filter: ResampleFilter): void {
  const { ksize, bounds, weights } = axisCoeffs(inW, outW, filter);
  for (let y = 0; y < rows; y++) {
    const srcRow = y * inW,
      dstRow = y * outW;
    for (let xx = 0; xx < outW; xx++) {
      const start = srcRow + bounds[xx * 2],
        count = bounds[xx * 2 + 1],
        kOff = xx * ksize;
      let acc = HALF;
      for (let x = 0; x < count; x++) acc += src[start + x] * weights[kOff + x];
      dst[dstRow + xx] = clip8(acc);
    }
  }
}

let rowAcc = new Int32Array(0);

/**
 * Vertical pass: `src` (w x inH) into `dst` (w x outH). Accumulates whole rows (one tap
 * at a time) instead of walking columns, so memory is read in order.
 */
function resampleVertical(src: Uint8Array, w: number, inH: number, dst: Uint8Array, outH: number, filter: ResampleFilter): void {
  const { ksize, bounds, weights } = axisCoeffs(inH, outH, filter);
  if (rowAcc.length < w) rowAcc = new Int32Array(w);
  const acc = rowAcc;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2],
      count = bounds[yy * 2 + 1],
      kOff = yy * ksize,
      dstRow = yy * w;
    acc.fill(HALF, 0, w);
    for (let y = 0; y < count; y++) {
      const wt = weights[kOff + y],
        srcRow = (ymin + y) * w;
      for (let xx = 0; xx < w; xx++) acc[xx] += src[srcRow + xx] * wt;
    }
    for (let xx = 0; xx < w; xx++) dst[dstRow + xx] = clip8(acc[xx]);
  }
}

/**
 * PIL `Image.resize((outW, outH), Image.BILINEAR)` on an 8-bit grayscale ('L') image:
 * a horizontal pass then a vertical pass, each rounding to uint8 as PIL does (a pass
 * is skipped when that side keeps its size). Same size returns a copy.
 */
export function resizeBilinear(src: Uint8Array, inW: number, inH: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH);
  resizeInto(src, inW, inH, out, outW, outH, 'bilinear');
  return out;
}

let tmpScratch = new Uint8Array(0);

/** PIL `Image.resize((outW, outH), filter)` on an 8-bit grayscale image, into `out` (outW * outH). */
export function resizeInto(
  src: Uint8Array,
  inW: number,
  inH: number,
  out: Uint8Array,
  outW: number,
  outH: number,
  filter: ResampleFilter,
): void {
  if (src.length < inW * inH) throw new Error(`resize: ${src.length} pixels for ${inW}x${inH}`);
  if (out.length < outW * outH) throw new Error(`resize: output holds ${out.length} pixels, needs ${outW}x${outH}`);
  if (inW === outW && inH === outH) {
    out.set(src.subarray(0, inW * inH));
    return;
  }
  if (inH === outH) return resampleHorizontal(src, inW, out, outW, inH, filter);
  if (inW === outW) return resampleVertical(src, inW, inH, out, outH, filter);
  if (tmpScratch.length < outW * inH) tmpScratch = new Uint8Array(outW * inH);
  resampleHorizontal(src, inW, tmpScratch, outW, inH, filter);
  resampleVertical(tmpScratch, outW, inH, out, outH, filter);
}

/**
 * The seed's per-image preparation for side `size`: bytescale when `stretch`, then
 * resizeBilinear to size x size. Returns an untouched copy when no stretch and the
 * image already has that size. `shrink` is the filter for an image larger than `size` (a face
 * cut from a picture; see InputPreparation.shrink); enlarging is always the seed's bilinear.
 */
export function prepareFace(
  gray: Uint8Array,
  inW: number,
  inH: number,
  size: number,
  stretch: boolean,
  shrink: ResampleFilter = 'bilinear',
): Uint8Array {
  const out = new Uint8Array(size * size);
  prepareFaceInto(gray, inW, inH, size, stretch, out, shrink);
  return out;
}

let stretchScratch = new Uint8Array(0);

/** prepareFace into a caller-owned buffer of size * size bytes (no allocation per image). */
export function prepareFaceInto(
  gray: Uint8Array,
  inW: number,
  inH: number,
  size: number,
  stretch: boolean,
  out: Uint8Array,
  shrink: ResampleFilter = 'bilinear',
): void {
  let src = gray.length === inW * inH ? gray : gray.subarray(0, inW * inH);
  if (stretch) {
    if (stretchScratch.length !== inW * inH) stretchScratch = new Uint8Array(inW * inH);
    bytescaleInto(src, stretchScratch);
    src = stretchScratch;
  }
  resizeInto(src, inW, inH, out, size, size, inW > size || inH > size ? shrink : 'bilinear');
}

/** The library-wide normalisation of a pixel value in 0..255 (the seed's x / 255 - 0.5). */
export function normalisePixel(v: number): number {
  return v / 255 - 0.5;
}

/** Float32 value of each byte after normalisePixel. */
export const NORMALISE_TABLE: Float32Array = Float32Array.from({ length: 256 }, (_, v) => normalisePixel(v));

let faceScratch = new Uint8Array(0);

/**
 * prepareFace followed by x / 255 - 0.5, written as float32 at out[offset ..
 * offset + size*size). The one per-image path behind every tensor Facial builds.
 */
export function prepareFaceNormalisedInto(
  gray: Uint8Array,
  inW: number,
  inH: number,
  size: number,
  stretch: boolean,
  out: Float32Array,
  offset: number,
): void {
  const area = size * size;
  let px = gray;
  if (stretch || size !== inW || size !== inH) {
    if (faceScratch.length !== area) faceScratch = new Uint8Array(area);
    prepareFaceInto(gray, inW, inH, size, stretch, faceScratch);
    px = faceScratch;
  }
  const lut = NORMALISE_TABLE;
  for (let p = 0; p < area; p++) out[offset + p] = lut[px[p]];
}
