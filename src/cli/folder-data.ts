/**
 * The command line's part of training on and scoring a folder of your own labelled photos
 * (data/face-folder.ts): the flags `facial train` adds for it, and what `facial verify` prints
 * for such a folder beyond the seed's table. Kept apart so the subcommands' files change little.
 */
import { Command, InvalidArgumentError } from 'commander';
import { formatClassificationReport, formatConfusionMatrix } from '../metrics';
import { EvaluationResults, SPLIT_TITLES } from '../evaluation/verify';
import { intFlag } from './flags';

/** The flags of `facial train` for a folder of photos. */
export interface FolderTrainFlags {
  validation_split?: number;
  /** Set by --no_detect: each whole image is one face crop. */
  no_detect?: boolean;
  /** Epochs the early stages are held fixed. */
  freeze?: number;
}

/** Adds the folder-of-photos flags to `facial train`. */
export function addFolderTrainOptions(cmd: Command): Command {
  return cmd
    .option(
      '--validation_split <f>',
      'a folder of photos without validation/: the fraction of each class held out, seeded by --seed (default 0.2; 0: none)',
      (v: string) => {
        const f = Number(v);
        if (v.trim() === '' || !(f >= 0 && f < 1))
          throw new InvalidArgumentError(`--validation_split must be a fraction from 0 to below 1, got '${v}'`);
        return f;
      },
    )
    .option('--no_detect', 'a folder of photos that are already face crops: use each whole image instead of finding the face')
    .option(
      '--freeze <epochs>',
      'fine-tuning: hold the stem and the first residual stage fixed (weights and BatchNorm statistics) for the first N epochs, while the new head and later stages adapt',
      intFlag('--freeze', 1),
    );
}

/** The trainOnFer2013 options these flags set. */
export function folderTrainOptions(flags: FolderTrainFlags): { validationSplit?: number; detect: boolean; freezeEpochs?: number } {
  return { validationSplit: flags.validation_split, detect: !flags.no_detect, freezeEpochs: flags.freeze };
}

/** Each scored split's per-class report and confusion matrix, under the model's class names. */
export function formatFolderDetails(results: EvaluationResults, classNames: readonly string[]): string {
  return Object.values(results)
    .map(
      (r) =>
        `\n${SPLIT_TITLES[r!.split]}: per-class report\n\n${formatClassificationReport(r!, classNames)}\n` +
        `${SPLIT_TITLES[r!.split]}: confusion matrix (rows: true class, columns: predicted)\n\n${formatConfusionMatrix(r!.confusion, classNames)}`,
    )
    .join('');
}
