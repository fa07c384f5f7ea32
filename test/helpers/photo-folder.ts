/**
 * The embedded sample's faces by class, for the fine-tuning tests' folders of photos
 * (scripts/scenes.ts writePhotoFolder pastes them into colour backgrounds).
 */
import { readFerCsvSync } from '../../src/data/fer-csv';
import { SAMPLE_CSV_PATH } from '../../src/facial';

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
