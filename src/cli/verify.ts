/**
 * `facial verify`, the port of verify_model.py: loads a trained model (tfjs folder/.json, or
 * Keras .h5 rebuilt as --model at --image_size), loads FER2013 the way that model was trained
 * (48: raw 48x48; 200: bytescale + PIL bilinear, as FACIAL(resize=200)), scores the three
 * splits in batches and prints the seed's table (or --json), plus images/s on stderr.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import * as cliProgress from 'cli-progress';
import { SplitName } from '../facial';
import { FER_SIZE } from '../data/emotions';

import type { TrainedModel } from '../io/trained-model';
import { verifyModel, VerifyModelRun } from '../evaluation/verify-model';
import { formatFolderDetails } from './folder-data';
import { ModelKind } from '../models/registry';
import { ALL_SPLITS, EvaluationResults, formatSeedTable, resultsToJson, SPLIT_TITLES } from '../evaluation/verify';
import { readTrainingLog, writeReport } from '../evaluation/report';
import { pretrainedModelPath } from '../io/pretrained';
import { choiceFlag, modelKindFlag, positiveInt } from './flags';
import { TestTimeAugmentation, TTA_MODES } from '../models/tta';

/** Flags shared by `facial verify` and `facial report`. */
export interface VerifyFlags {
  model_weights?: string;
  image_size?: number;
  data?: string;
  limit?: number;
  json?: boolean;
  model?: ModelKind;
  batch_size: number;
  splits?: SplitName[];
  /** Default 'none'. */
  tta?: TestTimeAugmentation;
  /** A folder of photos that are already face crops. */
  no_detect?: boolean;
}

/** What a verify run produced; the caller disposes `trained.model`. */
export type VerifyRun = VerifyModelRun;

/** Adds the options of a verify run to `cmd` (verify and report share them). */
export function addVerifyOptions(cmd: Command): Command {
  return cmd
    .option('--model_weights <path>', 'tfjs model folder or model.json, or a Keras .h5 weights file; default: the shipped FER2013 model')
    .option(
      '--image_size <n>',
      "48 (raghakot ResNet-50, no stretch) or 200 (Keras ResNet50, stretch + bilinear); default: the model's input, or 200 for .h5",
      positiveInt('--image_size'),
    )
    .option(
      '--data <path>',
      "FER2013 CSV (plain or .gz), or a folder of labelled photos (class folders named as the model's classes; train/ validation/ test/ or all as Testing); default fer2013/fer2013.csv, else the embedded sample",
    )
    .option('--no_detect', 'a folder of photos that are already face crops: score each whole image')
    .option('--limit <n>', 'score at most N images per split', positiveInt('--limit'))
    .option(
      '--model <kind>',
      'architecture for a .h5 file: resnet50 or resnet50-anysize (default by --image_size)',
      modelKindFlag('--model'),
    )
    .option('--batch_size <n>', 'images per forward pass', positiveInt('--batch_size'), 50)
    .option('--splits <list>', 'comma-separated splits to score (train,validation,test)', (v: string) => {
      const splits = v.split(',').map((s) => s.trim());
      for (const s of splits)
        if (!ALL_SPLITS.includes(s as SplitName))
          throw new InvalidArgumentError(`--splits: unknown split '${s}' (use train, validation, test)`);
      return splits as SplitName[];
    })
    .option(
      '--tta <mode>',
      "flip: also score each face averaged with its mirror, printed as a second table after the seed's",
      choiceFlag('--tta', TTA_MODES),
      'none',
    );
}

/** Each split's report without test-time augmentation: the results themselves, or their `plain` under 'flip'. */
export function plainResults(results: EvaluationResults): EvaluationResults {
  return Object.fromEntries(Object.entries(results).map(([s, r]) => [s, r!.plain ? { ...r!, ...r!.plain } : r])) as EvaluationResults;
}

/**
 * The seed's table, and under --tta flip the flip-averaged one after it: the seed's numbers stay
 * where a user of verify_model.py looks for them.
 */
export function formatTables(results: EvaluationResults, tta: TestTimeAugmentation = 'none'): string {
  const seed = formatSeedTable(plainResults(results));
  return tta === 'flip'
    ? `${seed}
With flip averaging (--tta flip: each face and its mirror):

${formatSeedTable(results)}`
    : seed;
}

/**
 * verifyModel (evaluation/verify-model.ts) with the flags; progress goes to stderr as a bar
 * when it is a terminal, and the speed of each split as one line.
 */
export async function runVerify(flags: VerifyFlags): Promise<VerifyRun> {
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: '{split} [{bar}] {value}/{total} images | {eta_formatted} left', stream: process.stderr, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let current: SplitName | null = null;
  const run = await verifyModel({
    model: flags.model_weights,
    imageSize: flags.image_size,
    modelKind: flags.model,
    data: flags.data,
    limit: flags.limit,
    splits: flags.splits,
    batchSize: flags.batch_size,
    tta: flags.tta,
    detect: !flags.no_detect,
    onBatch: (split, done, total) => {
      if (!bar) return;
      if (split !== current) {
        if (current) bar.stop();
        current = split;
        bar.start(total, 0, { split: SPLIT_TITLES[split] });
      }
      bar.update(done);
    },
  });
  bar?.stop();
  const size = run.trained.imageSize;
  for (const r of Object.values(run.results)) {
    const s = r!.split;
    process.stderr.write(
      `${SPLIT_TITLES[s]}: ${r!.support} images in ${r!.seconds.toFixed(1)} s, ${r!.imagesPerSecond.toFixed(1)} images/s (${size}x${size}, batch ${flags.batch_size})\n`,
    );
  }
  return run;
}

/** Fails at once, naming the flag, when `dir` cannot be created or written (before any long scoring). */
export function checkWritableFolder(dir: string, flag: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    throw new Error(`${flag}: cannot write into ${dir} (${(err as Error).message})`);
  }
}

/** Adds the verify subcommand to `program`. */
export function register(program: Command): void {
  const cmd = program.command('verify').description("score a trained model on FER2013 train/validation/test and print the seed's table");
  addVerifyOptions(cmd)
    .option('--json', 'print { Training: {accuracy, precision, recall, f1, confusion}, ... } in percent (and flip: {...} under --tta flip)')
    .option('--report <dir>', 'also write an HTML report with charts into this folder')
    .option('--log <csv>', "training log (CSVLogger) for the report's curves")
    .action(async (flags: VerifyFlags & { report?: string; log?: string }) => {
      const log = flags.log ? readTrainingLog(flags.log) : undefined; // fail on a bad log before the long scoring
      if (flags.report) checkWritableFolder(flags.report, '--report');
      const { trained, facial, results, classNames, photos } = await runVerify(flags);
      try {
        if (flags.json) {
          const json = resultsToJson(plainResults(results));
          process.stdout.write(compactJson(flags.tta === 'flip' ? { ...json, flip: resultsToJson(results) } : json) + '\n');
        } else {
          process.stdout.write(formatTables(results, flags.tta));
          if (photos) process.stdout.write(formatFolderDetails(plainResults(results), classNames));
        }
        if (flags.report) {
          const files = await writeReport(flags.report, {
            results,
            faces: facial,
            classNames,
            log,
            logPath: flags.log,
            details: reportDetails(flags, trained),
          });
          process.stderr.write(`report: ${files.join(', ')}\n`);
        }
      } finally {
        trained.model.dispose();
        facial.dispose();
      }
    });
}

/** Indented JSON with each innermost array of numbers (a confusion-matrix row) on one line. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g,
    (_m, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`,
  );
}

/** The run's facts shown at the top of a report. */
export function reportDetails(flags: VerifyFlags, trained: TrainedModel): Record<string, string> {
  return {
    model: `${flags.model_weights ?? pretrainedModelPath()} (${trained.format}, ${trained.imageSize}x${trained.imageSize})`,
    data: flags.data ?? 'default (fer2013/fer2013.csv or the embedded sample)',
    preprocessing:
      trained.imageSize === FER_SIZE ? '48x48 as stored, x/255 - 0.5' : `bytescale + PIL bilinear to ${trained.imageSize}, x/255 - 0.5`,
    ...(flags.limit ? { limit: `${flags.limit} images per split` } : {}),
    ...(flags.tta === 'flip' ? { 'test-time augmentation': 'flip (each face averaged with its mirror)' } : {}),
    date: new Date().toISOString(),
  };
}
