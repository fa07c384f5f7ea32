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

const flags = new Command()
  .option('--data <csv>', 'FER2013 CSV (plain or .gz)', SAMPLE_CSV_PATH)
  .option('--split <name>', 'train, validation or test', 'train')
  .option('--limit <n>', 'faces to measure', Number, 1000)
  .option('--border <f>', 'one search with this border (default: as facial predict searches)', Number)
  .option('--backend <name>', 'tfjs backend')
  .parse()
  .opts<{ data: string; split: SplitName; limit: number; border?: number; backend?: string }>();

/** The q-quantile of sorted values (linear between ranks). */
function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
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
    const data = split.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
    const [face] = await detector.detect({ data, width: FER_SIZE, height: FER_SIZE, channels: 1 }, { border: flags.border });
    if (!face) continue;
    const side = (face.box.width + face.box.height) / 2;
    scale.push(FER_SIZE / side);
    dx.push((FER_SIZE / 2 - (face.box.x + face.box.width / 2)) / side);
    dy.push((FER_SIZE / 2 - (face.box.y + face.box.height / 2)) / side);
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
      `${flags.data} ${flags.split}: ${count} faces, border ${flags.border ?? 'as facial predict'}; a face found in ${scale.length} (${((100 * scale.length) / count).toFixed(1)}%), ${(count / seconds).toFixed(1)} faces/s`,
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
