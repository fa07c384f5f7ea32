/**
 * The pasted-faces check: FER2013 faces pasted at random positions and sizes into larger
 * colour backgrounds, then found and classified by `predictFaces`, should score within 2 points
 * of the same faces classified as the 48x48 crops they are. A face the detector misses, or
 * finds somewhere else, counts as wrong. Prints both accuracies, the difference and the
 * detection rate, and between them the pasted square cut exactly where it was pasted (no
 * detector): what the resizing alone costs, apart from the detector's framing.
 *
 *   npx ts-node scripts/pasted-faces.ts [--data ../shared/data/fer2013.csv.gz] [--split validation] [--limit 500] [--seed 1] [--model DIR]
 */
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/engine/select';
import { SAMPLE_CSV_PATH } from '../src/facial';
import { SplitName, readFerCsvSync, FER_PIXELS } from '../src/data/fer-csv';
import { FER_SIZE } from '../src/data/emotions';
import { mulberry32 } from '../src/data/image-transform';
import { RawImage } from '../src/data/raw-image';
import { predict } from '../src/evaluation/predict';
import { predictFaces } from '../src/evaluation/predict-faces';
import { loadPretrained } from '../src/io/pretrained';
import { FaceDetector } from '../src/detection/detector';
import { type Box, cropSquare } from '../src/detection/framing';
import { loadModel } from '../src/io/model-io';
import { background, pasteFace } from './scenes';

/** Options of the check. */
export interface PastedFacesOptions {
  data?: string;
  split?: SplitName;
  limit?: number;
  seed?: number;
  /** Background size (default 640x480). */
  width?: number;
  height?: number;
  /** The pasted faces' sides are drawn from this range, in pixels (default 72 to 240: 1.5 to 5 times 48). */
  faceSides?: [number, number];
  /** Detection border and minimum score (default: the detector's). */
  border?: number;
  minScore?: number;
  /** The classifier (default: the shipped model). */
  model?: tf.LayersModel;
}

/** What the check measured. */
export interface PastedFacesResult {
  faces: number;
  /** Accuracy (%) of the 48x48 crops. */
  crops: number;
  /** Accuracy (%) of the pasted squares cut exactly where they were pasted: the resizing without the detector. */
  resampled: number;
  /** Accuracy (%) of detect-then-classify on the pasted pictures. */
  pasted: number;
  /** Faces found where they were pasted: a box centred inside the pasted square, a quarter to one and a half its side. */
  found: number;
  /** Faces right as crops and wrong (or not found) pasted, and the other way round: McNemar's discordant pairs. */
  lost: number;
  gained: number;
}

/**
 * Whether `box` is the face pasted in `square`: centred inside it, its side a quarter to one and
 * a half the square's. Not an IoU threshold: FER2013's crops frame their faces loosely or tightly
 * (frame / box side 1.07 to 1.33 between quartiles, about 2 for a face small in its crop, under
 * 1 for one cut by its crop), so a face found exactly can cover a quarter of its square.
 */
export function foundAt(box: Box, square: { x1: number; y1: number; x2: number; y2: number }): boolean {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const side = square.x2 - square.x1;
  const boxSide = Math.max(box.width, box.height);
  return cx > square.x1 && cx < square.x2 && cy > square.y1 && cy < square.y2 && boxSide >= side / 4 && boxSide <= 1.5 * side;
}

/** Runs the check (see the file's comment). */
export async function pastedFacesCheck(opts: PastedFacesOptions = {}): Promise<PastedFacesResult> {
  const split = opts.split ?? 'validation';
  const faces = readFerCsvSync(opts.data ?? SAMPLE_CSV_PATH, { splits: [split], limit: opts.limit }).splits[split]!;
  const n = faces.labels.length;
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  const owned = opts.model ? null : (await loadPretrained()).model;
  const model = opts.model ?? owned!;
  const detector = await FaceDetector.load();
  const rand = mulberry32(opts.seed ?? 1);
  const [minSide, maxSide] = opts.faceSides ?? [72, 240];
  const cropRight: boolean[] = [];
  const pastedRight: boolean[] = new Array<boolean>(n).fill(false);
  let resampledRight = 0;
  let found = 0;
  try {
    const crops: RawImage[] = Array.from({ length: n }, (_, i) => ({
      data: faces.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS),
      width: FER_SIZE,
      height: FER_SIZE,
      channels: 1,
    }));
    (await predict(model, crops)).forEach((r, i) => (cropRight[i] = r.ok && r.label === faces.labels[i]));
    // 16 backgrounds drawn once and copied: drawing one costs more than finding its face
    const backgrounds = Array.from({ length: 16 }, () => background(width, height, Math.floor(rand() * 2 ** 31)));
    const BATCH = 32; // scenes per predictFaces call: the classifier is prepared once a call
    for (let from = 0; from < n; from += BATCH) {
      const scenes: RawImage[] = [];
      const squares: { x1: number; y1: number; x2: number; y2: number }[] = [];
      for (let i = from; i < Math.min(n, from + BATCH); i++) {
        // anywhere it fits whole
        const side = Math.round(minSide + rand() * (maxSide - minSide));
        const bg = backgrounds[Math.floor(rand() * backgrounds.length)];
        const scene = { ...bg, data: bg.data.slice() };
        const at = pasteFace(scene, crops[i].data, Math.floor(rand() * (width - side)), Math.floor(rand() * (height - side)), side);
        scenes.push(scene);
        squares.push({ x1: at.x, y1: at.y, x2: at.x + at.side, y2: at.y + at.side });
      }
      const exact = squares.map((q, k) => cropSquare(scenes[k], { x: q.x1, y: q.y1, side: q.x2 - q.x1 }));
      (await predict(model, exact)).forEach((r, k) => (resampledRight += r.ok && r.label === faces.labels[from + k] ? 1 : 0));
      const results = await predictFaces(model, scenes, { detector, border: opts.border, minScore: opts.minScore });
      results.forEach((r, k) => {
        if (!r.ok) throw new Error(r.error);
        const hit = r.faces.find((f) => foundAt(f.box, squares[k]));
        if (!hit) return;
        found++;
        pastedRight[from + k] = hit.label === faces.labels[from + k];
      });
    }
  } finally {
    detector.dispose();
    owned?.dispose();
  }
  const count = (xs: boolean[]) => xs.filter(Boolean).length;
  return {
    faces: n,
    crops: (100 * count(cropRight)) / n,
    resampled: (100 * resampledRight) / n,
    pasted: (100 * count(pastedRight)) / n,
    found,
    lost: cropRight.filter((r, i) => r && !pastedRight[i]).length,
    gained: cropRight.filter((r, i) => !r && pastedRight[i]).length,
  };
}

if (require.main === module) {
  const flags = new Command()
    .option('--data <csv>', 'FER2013 CSV (plain or .gz)', SAMPLE_CSV_PATH)
    .option('--split <name>', 'train, validation (PublicTest) or test', 'validation')
    .option('--limit <n>', 'faces', Number)
    .option('--seed <n>', 'positions, sizes and backgrounds', Number, 1)
    .option('--border <f>', 'detection border, in image sides', Number)
    .option('--min_score <p>', 'detector confidence a face needs', Number)
    .option('--backend <name>', 'tfjs backend')
    .option('--model <dir>', 'the classifier (default: the shipped model)')
    .parse()
    .opts<{
      data: string;
      split: SplitName;
      limit?: number;
      seed: number;
      border?: number;
      min_score?: number;
      backend?: string;
      model?: string;
    }>();
  (async () => {
    await selectBackend(flags.backend);
    const started = Date.now();
    const model = flags.model ? await loadModel(flags.model) : undefined;
    const r = await pastedFacesCheck({ ...flags, model, minScore: flags.min_score }).finally(() => model?.dispose());
    process.stdout.write(
      `${flags.data} ${flags.split}: ${r.faces} faces pasted into 640x480 backgrounds (seed ${flags.seed})\n` +
        `crops ${r.crops.toFixed(2)}%  resampled ${r.resampled.toFixed(2)}%  pasted ${r.pasted.toFixed(2)}%  difference ${(r.pasted - r.crops).toFixed(2)} points  ` +
        `found ${r.found}/${r.faces}  lost ${r.lost} gained ${r.gained}  (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
    );
  })().catch((err) => {
    process.stderr.write(`pasted-faces: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
