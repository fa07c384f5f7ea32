/**
 * Folders of labelled photos for the fine-tuning tests: FER2013 faces of the embedded sample,
 * enlarged and pasted into colour backgrounds (scripts/scenes.ts), one PNG per face, written as
 * `<root>/<class>/<n>.png` (or under a split folder).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { readFerCsvSync } from '../../src/data/fer-csv';
import { SAMPLE_CSV_PATH } from '../../src/facial';
import { background, pasteFace } from '../../scripts/scenes';
import type { RawImage } from '../../src/data/raw-image';

const FACE = 48 * 48;

/** The sample's Training faces of emotion `label` (0..6), as 48x48 grey bytes each. */
export function sampleFaces(label: number, split: 'train' | 'validation' = 'train'): Uint8Array[] {
  const s = readFerCsvSync(SAMPLE_CSV_PATH, { splits: [split] }).splits[split]!;
  const out: Uint8Array[] = [];
  s.labels.forEach((l, i) => {
    if (l === label) out.push(s.pixels.slice(i * FACE, (i + 1) * FACE));
  });
  return out;
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
