/**
 * Images with their faces drawn on: each face's box, its number (largest first, as printed)
 * and its emotion with the probability, on a copy of the photo, written as PNG with
 * @napi-rs/canvas (already the report's renderer).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import type { RawImage } from '../data/raw-image';
import type { FacePrediction } from './predict-faces';

/** `img` with `faces` drawn on it, as PNG bytes. */
export function annotateImage(img: RawImage, faces: FacePrediction<string>[]): Buffer {
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  const rgba = ctx.createImageData(img.width, img.height);
  const c = img.channels;
  for (let p = 0; p < img.width * img.height; p++) {
    rgba.data[4 * p] = img.data[p * c];
    rgba.data[4 * p + 1] = img.data[p * c + (c === 1 ? 0 : 1)];
    rgba.data[4 * p + 2] = img.data[p * c + (c === 1 ? 0 : 2)];
    rgba.data[4 * p + 3] = 255; // drawn opaque: boxes on a transparent photo would be hard to see
  }
  ctx.putImageData(rgba, 0, 0);
  // lines and text scale with the photo, so they stay readable on a phone picture and a thumbnail
  const unit = Math.max(1, Math.round(Math.max(img.width, img.height) / 320));
  ctx.lineWidth = 2 * unit;
  ctx.font = `${12 * unit}px sans-serif`;
  ctx.textBaseline = 'bottom';
  faces.forEach((f, i) => {
    ctx.strokeStyle = '#00e070';
    ctx.strokeRect(f.box.x, f.box.y, f.box.width, f.box.height);
    const label = `${i + 1} ${f.emotion} ${(100 * f.probabilities[f.label]).toFixed(0)}%`;
    const w = ctx.measureText(label).width + 4 * unit;
    const y = f.box.y > 14 * unit ? f.box.y : f.box.y + f.box.height + 14 * unit;
    ctx.fillStyle = '#00e070';
    ctx.fillRect(f.box.x - unit, y - 14 * unit, w, 14 * unit);
    ctx.fillStyle = '#000';
    ctx.fillText(label, f.box.x + unit, y - unit);
  });
  return canvas.toBuffer('image/png');
}

/**
 * Where the annotated copy of `source` goes in `dir`: its name with `.faces.png`, numbered when
 * two inputs share a name (`taken` holds the names given so far).
 */
export function annotatedPath(dir: string, source: string, taken: Set<string>): string {
  const base = path.basename(source, path.extname(source));
  let name = `${base}.faces.png`;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}.faces.png`;
  taken.add(name);
  return path.join(dir, name);
}

/** Writes `img` annotated with `faces` to `file` (creating its folder). */
export function writeAnnotated(file: string, img: RawImage, faces: FacePrediction<string>[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, annotateImage(img, faces));
}
