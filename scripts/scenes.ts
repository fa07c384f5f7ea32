/**
 * Synthetic photos for the detection tests, the pasted-faces check, the webcam clip, the
 * benchmarks and the fine-tuning folders: FER2013 faces, enlarged with PIL bilinear, pasted into
 * a colour background (smooth gradients and soft blobs from a seeded generator, so a run is
 * repeatable).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import type { RawImage } from '../src/data/raw-image';
import { resizeBilinear } from '../src/data/resize';
import { mulberry32 } from '../src/data/image-transform';

/** A width x height RGB background: a diagonal colour gradient with a few soft blobs and light noise. */
export function background(width: number, height: number, seed: number): RawImage {
  const rand = mulberry32(seed);
  const c0 = [0, 1, 2].map(() => 40 + 170 * rand());
  const c1 = [0, 1, 2].map(() => 40 + 170 * rand());
  const blobs = Array.from({ length: 5 }, () => ({
    x: rand() * width,
    y: rand() * height,
    r: 30 + rand() * 120,
    v: [0, 1, 2].map(() => rand() * 120 - 60),
  }));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      for (let c = 0; c < 3; c++) {
        let v = c0[c] * (1 - t) + c1[c] * t;
        for (const b of blobs) v += b.v[c] * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + (rand() - 0.5) * 6)));
      }
    }
  }
  return { data, width, height, channels: 3 };
}

/** Where a face went: its 48x48 frame's square in the scene. */
export interface Pasted {
  x: number;
  y: number;
  side: number;
}

/** Pastes a 48x48 grey face, enlarged to `side` pixels, at (x, y) into the RGB scene (clipped at its edges). */
export function pasteFace(scene: RawImage, face: Uint8Array, x: number, y: number, side: number): Pasted {
  const big = resizeBilinear(face, 48, 48, side, side);
  for (let j = 0; j < side; j++) {
    const sy = y + j;
    if (sy < 0 || sy >= scene.height) continue;
    for (let i = 0; i < side; i++) {
      const sx = x + i;
      if (sx < 0 || sx >= scene.width) continue;
      const v = big[j * side + i];
      const o = (sy * scene.width + sx) * scene.channels;
      for (let c = 0; c < Math.min(3, scene.channels); c++) scene.data[o + c] = v;
    }
  }
  return { x, y, side };
}

/**
 * The two-face picture of the webcam test and the README's `facial predict` example: 640x480,
 * sample PublicTest faces 3 (200 px, right) and 5 (130 px, left) of the embedded FER2013 sample.
 */
export function twoFaceScene(publicTestFaces: Uint8Array): RawImage {
  const scene = background(640, 480, 5);
  pasteFace(scene, publicTestFaces.subarray(3 * 2304, 4 * 2304), 380, 90, 200);
  pasteFace(scene, publicTestFaces.subarray(5 * 2304, 6 * 2304), 70, 200, 130);
  return scene;
}

/**
 * `frames` (RGB, all one even size) as a YUV4MPEG2 clip, 4:2:0 with JPEG's full-range BT.601
 * colours: what Chromium's fake camera plays (--use-file-for-fake-video-capture), in a loop.
 */
export function toY4m(frames: RawImage[], fps = 10): Buffer {
  const { width: w, height: h } = frames[0];
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${w} H${h} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (const f of frames) {
    const y = Buffer.alloc(w * h);
    const u = Buffer.alloc((w / 2) * (h / 2));
    const v = Buffer.alloc((w / 2) * (h / 2));
    const rgb = (p: number) => [f.data[p * f.channels], f.data[p * f.channels + 1], f.data[p * f.channels + 2]];
    for (let p = 0; p < w * h; p++) {
      const [r, g, b] = rgb(p);
      y[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
    for (let j = 0; j < h / 2; j++) {
      for (let i = 0; i < w / 2; i++) {
        let cb = 0;
        let cr = 0;
        for (const p of [2 * j * w + 2 * i, 2 * j * w + 2 * i + 1, (2 * j + 1) * w + 2 * i, (2 * j + 1) * w + 2 * i + 1]) {
          const [r, g, b] = rgb(p);
          cb += 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
          cr += 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
        }
        u[j * (w / 2) + i] = Math.max(0, Math.min(255, Math.round(cb / 4)));
        v[j * (w / 2) + i] = Math.max(0, Math.min(255, Math.round(cr / 4)));
      }
    }
    parts.push(Buffer.from('FRAME\n'), y, u, v);
  }
  return Buffer.concat(parts);
}

/** An RGB image as PNG bytes. */
export function pngOf(img: RawImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  for (let p = 0; p < img.width * img.height; p++) {
    for (let c = 0; c < 3; c++) png.data[4 * p + c] = img.data[p * img.channels + Math.min(c, img.channels - 1)];
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** A 160x120 photo with `face` pasted at a seeded place, 72 pixels wide. */
export function photoWithFace(face: Uint8Array, seed: number): Buffer {
  const scene = background(160, 120, seed);
  pasteFace(scene, face, 20 + (seed % 5) * 12, 10 + (seed % 3) * 10, 72);
  return pngOf(scene);
}

/** Writes `<dir>/<class>/<i>.png` for each class's faces; returns the files, class by class. */
export function writePhotoFolder(dir: string, classes: Record<string, Uint8Array[]>, seed = 1): Record<string, string[]> {
  const files: Record<string, string[]> = {};
  let k = seed;
  for (const [name, faces] of Object.entries(classes)) {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    files[name] = faces.map((face, i) => {
      const file = path.join(dir, name, `${String(i).padStart(3, '0')}.png`);
      fs.writeFileSync(file, photoWithFace(face, k++));
      return file;
    });
  }
  return files;
}
