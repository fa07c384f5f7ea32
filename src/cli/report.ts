/**
 * `facial report`: scores a model like `facial verify` and writes DIR/index.html (pictures
 * embedded) with the same pictures as PNG files: training curves from the CSVLogger log,
 * confusion matrix, per-class bars and the misclassified test faces.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { readTrainingLog, writeReport } from '../evaluation/report';
import { addVerifyOptions, checkWritableFolder, formatTables, reportDetails, runVerify, VerifyFlags } from './verify';

interface ReportFlags extends VerifyFlags {
  log?: string;
  out?: string;
  faces: number;
}

/** The default report folder: beside a named model (`runs/r48_best` -> `runs/r48_best_report`), in the current folder for the shipped one. */
export function defaultReportFolder(model: string | undefined): string {
  return model ? `${model.replace(/[\\/]+$/, '').replace(/\.json$/, '')}_report` : path.join('.', 'fer2013-resnet50-48_report');
}

/** Adds the report subcommand to `program`. */
export function register(program: Command): void {
  const cmd = program
    .command('report')
    .description('score a model and write an HTML report with training curves, confusion matrix, class scores and misclassified faces');
  addVerifyOptions(cmd)
    .option(
      '--out <dir>',
      'folder for index.html and the PNG files (default: MODEL_report beside the model, ./fer2013-resnet50-48_report for the shipped one)',
    )
    .option('--log <csv>', 'training log written by the CSVLogger (epoch,loss,acc,val_loss,val_acc,lr)')
    .option('--faces <n>', 'most misclassified faces to show', (v: string) => Number(v), 36)
    .action(async (flags: ReportFlags) => {
      const log = flags.log ? readTrainingLog(flags.log) : undefined; // a bad log fails before the long scoring
      const out = flags.out ?? defaultReportFolder(flags.model_weights);
      checkWritableFolder(out, '--out'); // and so does a folder the report could not be written to
      const { trained, facial, results, classNames } = await runVerify(flags);
      try {
        process.stdout.write(formatTables(results, flags.tta));
        const files = await writeReport(out, {
          results,
          faces: facial,
          classNames,
          log,
          logPath: flags.log,
          maxFaces: flags.faces,
          details: reportDetails(flags, trained),
        });
        process.stdout.write(`wrote ${files.join('\n      ')}\n`);
      } finally {
        trained.model.dispose();
        facial.dispose();
      }
    });
}
