/**
 * Measures FER2013's framing against our face detector: runs BlazeFace on FER2013's own 48x48
 * faces (as `facial predict` searches a tight crop: letterboxed with a border of half its side,
 * CROP_BORDER, so that a 48-pixel face becomes about 128 pixels of the 256 input) and relates the box it finds to the 48x48
 * frame: the frame's side in box sides (scale) and the frame centre's offset from the box centre
 * in box sides (dx, dy). Prints the detection rate, the medians and quartiles, and the
 * FER_FRAMING line for src/detection/framing.ts (medians: robust to the odd wrong box).
 *
 *   npx ts-node scripts/fit-framing.ts [--data ../shared/data/fer2013.csv.gz] [--split train] [--limit 1000] [--border F]
 */
import { Command } from 'commander';
import { selectBackend } from '../src/engine/select';
import { SAMPLE_CSV_PATH } from '../src/facial';
import { SplitName, readFerCsvSync, FER_PIXELS } from '../src/data/fer-csv';
import { FER_SIZE } from '../src/data/emotions';
import { FaceDetector } from '../src/detection/detector';
import { BORDER_GREY } from '../src/detection/letterbox';
import { resizeBilinear } from '../src/data/resize';
import type { RawImage } from '../src/data/raw-image';

const flags = new Command()
  .option('--data <csv>', 'FER2013 CSV (plain or .gz)', SAMPLE_CSV_PATH)
  .option('--split <name>', 'train, validation or test', 'train')
  .option('--limit <n>', 'faces to measure', Number, 1000)
  .option('--border <f>', 'one search with this border (default: as facial predict searches)', Number)
  .option(
    '--context <f>',
    'paste each face, enlarged --upscale times, in the middle of a grey square this many face sides wide (1: the crop alone)',
    Number,
    1,
  )
  .option('--upscale <k>', 'enlargement of each face with --context (PIL bilinear)', Number, 3)
  .option('--backend <name>', 'tfjs backend')
  .parse()
  .opts<{ data: string; split: SplitName; limit: number; border?: number; context: number; upscale: number; backend?: string }>();

/** The q-quantile of sorted values (linear between ranks). */
function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

/** The face alone (context 1), or enlarged and centred in a grey square `context` face sides wide; where its frame lies. */
function inContext(crop: Uint8Array, context: number, upscale: number): { image: RawImage; at: number; frame: number } {
  if (context === 1) return { image: { data: crop, width: FER_SIZE, height: FER_SIZE, channels: 1 }, at: 0, frame: FER_SIZE };
  const frame = FER_SIZE * upscale;
  const side = Math.round(frame * context);
  const at = Math.floor((side - frame) / 2);
  const data = new Uint8Array(side * side).fill(BORDER_GREY);
  const big = resizeBilinear(crop, FER_SIZE, FER_SIZE, frame, frame);
  for (let y = 0; y < frame; y++) data.set(big.subarray(y * frame, (y + 1) * frame), (at + y) * side + at);
  return { image: { data, width: side, height: side, channels: 1 }, at, frame };
}

(async () => {
  await selectBackend(flags.backend);
  const split = readFerCsvSync(flags.data, { splits: [flags.split], limit: flags.limit }).splits[flags.split]!;
  const count = split.labels.length;
  const detector = await FaceDetector.load();
  const scale: number[] = [];
  const dx: number[] = [];
  const dy: number[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const crop = split.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
    const { image, at, frame } = inContext(crop, flags.context, flags.upscale);
    const [face] = await detector.detect(image, { border: flags.border });
    if (!face) continue;
    const side = (face.box.width + face.box.height) / 2;
    scale.push(frame / side);
    dx.push((at + frame / 2 - (face.box.x + face.box.width / 2)) / side);
    dy.push((at + frame / 2 - (face.box.y + face.box.height / 2)) / side);
  }
  detector.dispose();
  const seconds = (Date.now() - started) / 1000;
  const row = (name: string, v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return `${name.padEnd(6)} median ${quantile(s, 0.5).toFixed(3)}  quartiles ${quantile(s, 0.25).toFixed(3)} .. ${quantile(s, 0.75).toFixed(3)}`;
  };
  const median = (v: number[]) =>
    quantile(
      [...v].sort((a, b) => a - b),
      0.5,
    );
  process.stdout.write(
    [
      `${flags.data} ${flags.split}: ${count} faces, border ${flags.border ?? 'as facial predict'}, context ${flags.context}${flags.context === 1 ? '' : ` (faces ${flags.upscale}x)`}; a face found in ${scale.length} (${((100 * scale.length) / count).toFixed(1)}%), ${(count / seconds).toFixed(1)} faces/s`,
      row('scale', scale),
      row('dx', dx),
      row('dy', dy),
      `export const FER_FRAMING: Framing = { scale: ${median(scale).toFixed(3)}, dx: ${median(dx).toFixed(3)}, dy: ${median(dy).toFixed(3)} };`,
    ].join('\n') + '\n',
  );
})().catch((err) => {
  process.stderr.write(`fit-framing: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
