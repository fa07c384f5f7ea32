/**
 * Keras's random affine transform (keras-preprocessing `apply_affine_transform`) on plain
 * Float32Array images, reproducing scipy.ndimage.affine_transform with order=1 (bilinear),
 * including its edge modes. Kept free of tfjs so it can run anywhere (a worker, a test).
 */

/** scipy.ndimage edge modes that Keras exposes as `fill_mode`. */
export type FillMode = 'nearest' | 'constant' | 'reflect' | 'wrap';

/** One image's random transform, as keras-preprocessing's `get_random_transform` returns. */
export interface TransformParams {
  /** Rotation in degrees. */
  theta: number;
  /** Shift along rows (height), in pixels. */
  tx: number;
  /** Shift along columns (width), in pixels. */
  ty: number;
  /** Shear angle in degrees (Keras >= 2.1.3; older Keras took radians). */
  shear: number;
  /** Zoom along rows. */
  zx: number;
  /** Zoom along columns. */
  zy: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
}

/** The identity transform. */
export const IDENTITY_TRANSFORM: TransformParams = {
  theta: 0,
  tx: 0,
  ty: 0,
  shear: 0,
  zx: 1,
  zy: 1,
  flipHorizontal: false,
  flipVertical: false,
};

type Mat3 = number[]; // row-major 3x3

function matmul(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    }
  return out;
}

/**
 * The output->input coordinate map Keras builds: rotation · shift · shear · zoom, then
 * re-centred on (h/2 + 0.5, w/2 + 0.5) as `transform_matrix_offset_center` does (Keras's
 * centre is half a pixel off the true centre (h-1)/2; kept for fidelity). Coordinates
 * are (row, col). Returns null for the identity (Keras then skips the resampling).
 */
export function affineMatrix(p: TransformParams, h: number, w: number): Mat3 | null {
  let m: Mat3 | null = null;
  const chain = (next: Mat3) => {
    m = m === null ? next : matmul(m, next);
  };
  if (p.theta !== 0) {
    const t = (p.theta * Math.PI) / 180;
    chain([Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1]);
  }
  if (p.tx !== 0 || p.ty !== 0) chain([1, 0, p.tx, 0, 1, p.ty, 0, 0, 1]);
  if (p.shear !== 0) {
    const s = (p.shear * Math.PI) / 180;
    chain([1, -Math.sin(s), 0, 0, Math.cos(s), 0, 0, 0, 1]);
  }
  if (p.zx !== 1 || p.zy !== 1) chain([p.zx, 0, 0, 0, p.zy, 0, 0, 0, 1]);
  if (m === null) return null;
  const ox = h / 2 + 0.5,
    oy = w / 2 + 0.5;
  return matmul(matmul([1, 0, ox, 0, 1, oy, 0, 0, 1], m), [1, 0, -ox, 0, 1, -oy, 0, 0, 1]);
}

/**
 * scipy's `map_coordinate`: folds a coordinate outside [0, len-1] back according to the mode.
 * Returns -1 for 'constant' outside the image (the caller then writes cval). Note scipy's
 * 'wrap' repeats with period len-1 (first and last samples overlap), not len as Keras's
 * docstring draws it; we follow what Keras actually does, i.e. scipy.
 */
export function mapCoordinate(x: number, len: number, mode: FillMode): number {
  if (x < 0) {
    switch (mode) {
      case 'reflect': {
        if (len <= 1) return 0;
        const sz2 = 2 * len;
        if (x < -sz2) x = sz2 * Math.trunc(-x / sz2) + x;
        return x < -len ? x + sz2 : (x > -1e-15 ? 1e-15 : -x) - 1;
      }
      case 'wrap': {
        if (len <= 1) return 0;
        const sz = len - 1;
        return x + sz * (Math.trunc(-x / sz) + 1);
      }
      case 'nearest':
        return 0;
      case 'constant':
        return -1;
    }
  } else if (x > len - 1) {
    switch (mode) {
      case 'reflect': {
        if (len <= 1) return 0;
        const sz2 = 2 * len;
        x -= sz2 * Math.trunc(x / sz2);
        return x >= len ? sz2 - x - 1 : x;
      }
      case 'wrap': {
        if (len <= 1) return 0;
        const sz = len - 1;
        return x - sz * Math.trunc(x / sz);
      }
      case 'nearest':
        return len - 1;
      case 'constant':
        return -1;
    }
  }
  return x;
}

/**
 * scipy's folding of interpolation taps that fall just outside: half-sample symmetric for
 * 'reflect', whole-sample mirror (period 2n-2) for the other modes (scipy >= 1.6).
 */
function foldIndex(i: number, len: number, mode: FillMode): number {
  if (len <= 1) return 0;
  if (mode === 'reflect') {
    const sz2 = 2 * len;
    i = ((i % sz2) + sz2) % sz2;
    return i >= len ? sz2 - i - 1 : i;
  }
  const s2 = 2 * len - 2;
  if (i < 0) {
    i = s2 * Math.trunc(-i / s2) + i;
    return i <= 1 - len ? i + s2 : -i;
  }
  if (i >= len) {
    i -= s2 * Math.trunc(i / s2);
    return i >= len ? s2 - i : i;
  }
  return i;
}

/**
 * Resamples an interleaved h x w x c image through `m` (output->input) with bilinear
 * interpolation and scipy's edge handling (checked against scipy 1.17), per channel as Keras does.
 */
export function resampleAffine(
  src: Float32Array,
  h: number,
  w: number,
  c: number,
  m: Mat3,
  fillMode: FillMode,
  cval: number,
): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      const y = mapCoordinate(m[0] * r + m[1] * col + m[2], h, fillMode);
      const x = mapCoordinate(m[3] * r + m[4] * col + m[5], w, fillMode);
      const o = (r * w + col) * c;
      if (!(y > -1) || !(x > -1)) {
        // Only 'constant' maps outside points to -1; the other modes fold them inside.
        for (let k = 0; k < c; k++) out[o + k] = cval;
        continue;
      }
      const y0 = Math.floor(y),
        x0 = Math.floor(x);
      const fy = y - y0,
        fx = x - x0;
      const ya = foldIndex(y0, h, fillMode),
        yb = foldIndex(y0 + 1, h, fillMode);
      const xa = foldIndex(x0, w, fillMode),
        xb = foldIndex(x0 + 1, w, fillMode);
      for (let k = 0; k < c; k++) {
        const v00 = src[(ya * w + xa) * c + k],
          v01 = src[(ya * w + xb) * c + k];
        const v10 = src[(yb * w + xa) * c + k],
          v11 = src[(yb * w + xb) * c + k];
        out[o + k] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
      }
    }
  }
  return out;
}

/** Mirrors an interleaved image left-right (Keras `flip_axis` on the column axis). */
export function flipColumns(src: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < h; r++)
    for (let col = 0; col < w; col++)
      for (let k = 0; k < c; k++) {
        out[(r * w + col) * c + k] = src[(r * w + (w - 1 - col)) * c + k];
      }
  return out;
}

/** Mirrors an interleaved image top-bottom. */
export function flipRows(src: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(src.length);
  const row = w * c;
  for (let r = 0; r < h; r++) out.set(src.subarray((h - 1 - r) * row, (h - r) * row), r * row);
  return out;
}

/**
 * keras-preprocessing `apply_transform`: the affine part first, then the flips.
 * Returns a new array; `src` is not modified.
 */
export function applyTransform(
  src: Float32Array,
  h: number,
  w: number,
  c: number,
  p: TransformParams,
  fillMode: FillMode = 'nearest',
  cval = 0,
): Float32Array {
  const m = affineMatrix(p, h, w);
  let out = m === null ? src.slice() : resampleAffine(src, h, w, c, m, fillMode, cval);
  if (p.flipHorizontal) out = flipColumns(out, h, w, c);
  if (p.flipVertical) out = flipRows(out, h, w, c);
  return out;
}

/** A small, fast, seedable PRNG (mulberry32) returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes several integers into one 32-bit seed, so (seed, epoch, batch) streams are independent. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }
  return h >>> 0;
}

/** Fisher-Yates shuffle of 0..n-1 with a seeded generator. */
export function shuffledIndices(n: number, rand: () => number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/** Random erasing (Zhong et al. 2017, as torchvision's RandomErasing): one rectangle filled with a value. */
export interface RandomErasingConfig {
  /** Chance that an image gets a rectangle (default 0.5). */
  probability?: number;
  /** Rectangle area as a fraction of the image, uniform in [lo, hi] (default [0.02, 0.33]). */
  scale?: [number, number];
  /** Aspect ratio h/w, log-uniform in [lo, hi] (default [0.3, 3.3]). */
  ratio?: [number, number];
  /** What the rectangle is filled with, in the generator's output scale (default 0). */
  value?: number;
}

/**
 * Erases one rectangle of an h x w x c image in place, with torchvision's draws: the chance,
 * then up to 10 tries of (area, log-ratio), the first that fits placed uniformly. Returns the
 * rectangle [top, left, height, width], or null when the image was left alone.
 */
export function randomErase(
  img: Float32Array,
  h: number,
  w: number,
  c: number,
  cfg: RandomErasingConfig,
  rand: () => number,
): [number, number, number, number] | null {
  const { probability = 0.5, scale = [0.02, 0.33], ratio = [0.3, 3.3], value = 0 } = cfg;
  if (rand() >= probability) return null;
  const logLo = Math.log(ratio[0]),
    logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = h * w * (scale[0] + (scale[1] - scale[0]) * rand());
    const aspect = Math.exp(logLo + (logHi - logLo) * rand());
    const eh = Math.round(Math.sqrt(area * aspect));
    const ew = Math.round(Math.sqrt(area / aspect));
    if (!(eh < h && ew < w) || eh === 0 || ew === 0) continue;
    const top = Math.floor(rand() * (h - eh + 1));
    const left = Math.floor(rand() * (w - ew + 1));
    for (let r = top; r < top + eh; r++) img.fill(value, (r * w + left) * c, (r * w + left + ew) * c);
    return [top, left, eh, ew];
  }
  return null;
}
