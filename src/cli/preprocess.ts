/**
 * `facial preprocess`: preprocess_facial_data.py as a command. Writes
 * `<out>/{train_dir,validation_dir,test_dir}/{0..6}/<label>_<lineNo>.png`; a rerun resumes.
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { DEFAULT_CSV_PATH, SAMPLE_CSV_PATH } from '../facial';
import { describeSkipped, SplitName, SPLITS } from '../data/fer-csv';
import { preprocessToFolders } from '../data/preprocess';
import { intFlag } from './flags';

interface PreprocessFlags {
  data?: string;
  out: string;
  image_size: number;
  no_stretch?: boolean;
  splits?: string;
  limit?: number;
  workers?: number;
  skip_bad_rows?: boolean;
}

/** Adds the preprocess subcommand to `program`. */
export function register(program: Command): void {
  program
    .command('preprocess')
    .description('write FER2013 as class folders of PNG images (<out>/{train_dir,validation_dir,test_dir}/{0..6}/<label>_<line>.png)')
    .option('--data <path>', `FER2013 CSV, plain or .gz (default ${DEFAULT_CSV_PATH}, else the embedded sample)`)
    .option('--out <dir>', 'output folder', 'facial_imgs')
    .option('--image_size <n>', 'side of the written images in pixels', intFlag('--image_size', 1), 200)
    .option('--no_stretch', "do not stretch each image's min..max to 0..255 before resizing (the seed does)")
    .option('--splits <list>', `comma-separated subset of ${SPLITS.join(',')}`)
    .option('--limit <n>', 'at most this many rows per split', intFlag('--limit', 1))
    .option('--workers <n>', 'worker threads (0 = this thread; default one per CPU)', intFlag('--workers', 0))
    .option('--skip_bad_rows', 'skip invalid CSV rows (and say how many and why) instead of stopping')
    .action(async (flags: PreprocessFlags) => {
      if (fs.existsSync(flags.out) && !fs.statSync(flags.out).isDirectory()) throw new Error(`--out: ${flags.out} is a file, not a folder`);
      let csvPath = flags.data;
      if (csvPath === undefined) {
        csvPath = fs.existsSync(DEFAULT_CSV_PATH) ? DEFAULT_CSV_PATH : SAMPLE_CSV_PATH;
        if (csvPath === SAMPLE_CSV_PATH)
          process.stderr.write(`facial: ${DEFAULT_CSV_PATH} not found; using the embedded sample ${SAMPLE_CSV_PATH}\n`);
      }
      const splits = flags.splits?.split(',').map((s) => s.trim()) as SplitName[] | undefined;
      for (const s of splits ?? []) if (!SPLITS.includes(s)) throw new Error(`--splits: unknown split '${s}' (use ${SPLITS.join(', ')})`);

      // A live bar only on a terminal; logs and pipes get the summary line alone.
      const bar = process.stdout.isTTY
        ? new SingleBar({
            format: 'preprocess |{bar}| {percentage}% | {value}/{total} images | {rate} img/s | ETA {eta_formatted}',
            stream: process.stdout,
            hideCursor: true,
            etaBuffer: 200,
          })
        : null;
      let started = Date.now(); // reset when writing starts, so the rate leaves out the CSV read
      const result = await preprocessToFolders({
        csvPath,
        outDir: flags.out,
        size: flags.image_size,
        stretch: !flags.no_stretch,
        splits,
        limit: flags.limit,
        workers: flags.workers,
        skipBadRows: flags.skip_bad_rows,
        onProgress: (done, total) => {
          if (!bar) return;
          if (done === 0) {
            started = Date.now();
            bar.start(total, 0, { rate: 0 });
            return;
          }
          bar.update(done, { rate: Math.round(done / Math.max((Date.now() - started) / 1000, 1e-3)) });
        },
      });
      bar?.stop();
      if (result.skipped.count > 0) process.stderr.write(`facial: ${describeSkipped(result.skipped)}\n`);
      const rate = result.written / Math.max(result.seconds, 1e-3);
      process.stdout.write(
        `preprocess: wrote ${result.written} images (${result.alreadyComplete} already complete` +
          `${result.staleRemoved ? `, ${result.staleRemoved} stale temporary files removed` : ''}` +
          `${result.resized ? `, ${result.resized} of another size rewritten` : ''}) of ${flags.image_size}x${flags.image_size} ` +
          `to ${flags.out} from ${csvPath} in ${result.seconds.toFixed(1)} s (${rate.toFixed(0)} images/s)\n`,
      );
    });
}
