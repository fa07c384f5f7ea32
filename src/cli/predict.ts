/**
 * `facial predict FILE_OR_DIR... --model P`: the top emotion and the seven probabilities of
 * each image, as a table or --json. Folders are searched recursively for PNG/JPEG files and
 * scored in batches with a progress bar (on a terminal only). A file that cannot be read is
 * reported by name, the rest are still scored, and the exit code is then 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import * as cliProgress from 'cli-progress';
import { EMOTIONS } from '../data/emotions';
import { isImageFile } from '../data/image-io';
import { predict, PredictResult } from '../evaluation/predict';
import { loadTrainedModel } from '../io/trained-model';
import { ModelKind } from '../models/registry';
import { pretrainedModelPath } from '../io/pretrained';
import { choiceFlag, modelKindFlag, positiveInt } from './flags';
import { TestTimeAugmentation, TTA_MODES } from '../models/tta';

interface PredictFlags {
  model?: string;
  json?: boolean;
  batch_size: number;
  image_size?: number;
  model_kind?: ModelKind;
  stretch?: boolean;
  tta: TestTimeAugmentation;
}

/**
 * The files to score: named files as given (even without an image extension, so a wrong file
 * is reported rather than silently skipped), folders expanded to their image files, sorted.
 */
export function collectImages(inputs: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (isImageFile(entry.name)) files.push(full);
    }
  };
  for (const input of inputs) {
    if (!fs.existsSync(input)) missing.push(input);
    else if (fs.statSync(input).isDirectory()) walk(input);
    else files.push(input);
  }
  return { files, missing };
}

/** The results as an aligned table: file, top emotion, then the probabilities in percent. */
export function formatPredictions(results: PredictResult[]): string {
  const ok = results.filter((r) => r.ok);
  const header = ['file', 'emotion', ...EMOTIONS];
  const rows = ok.map((r) => [r.source, r.emotion, ...r.probabilities.map((p) => (100 * p).toFixed(2))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Adds the predict subcommand to `program`. */
export function register(program: Command): void {
  program
    .command('predict')
    .description('predict the emotion of PNG/JPEG images (any size, colour or grey; no face detection)')
    .argument('<images...>', 'image files and/or folders')
    .option(
      '--model <path>',
      'tfjs model folder or model.json, or a Keras .h5 (then --image_size / --model_kind); default: the shipped FER2013 model',
    )
    .option('--json', 'print JSON: { predictions: [{file, emotion, label, probabilities}], errors: [{file, error}] }')
    .option('--batch_size <n>', 'images per forward pass', positiveInt('--batch_size'), 32)
    .option('--image_size <n>', 'input side for a .h5 model (48 or 200)', positiveInt('--image_size'))
    .option('--model_kind <kind>', 'architecture for a .h5 model: resnet50 or resnet50-anysize', modelKindFlag('--model_kind'))
    .option('--stretch', 'bytescale before resizing (default: on for models whose input is not 48, as they were trained)')
    .option('--no-stretch', 'never bytescale')
    .option(
      '--tta <mode>',
      'flip: average each face with its mirror (twice the work, a point or two more accurate); none',
      choiceFlag('--tta', TTA_MODES),
      'flip',
    )
    .action(async (inputs: string[], flags: PredictFlags) => {
      const { files, missing } = collectImages(inputs);
      const trained = await loadTrainedModel(flags.model ?? pretrainedModelPath(), {
        imageSize: flags.image_size,
        model: flags.model_kind,
      });
      const bar =
        process.stderr.isTTY && files.length > flags.batch_size
          ? new cliProgress.SingleBar(
              { format: 'predict [{bar}] {value}/{total} images', stream: process.stderr, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            )
          : null;
      bar?.start(files.length, 0);
      let results: PredictResult[];
      try {
        results = await predict(trained.model, files, {
          batchSize: flags.batch_size,
          stretch: flags.stretch,
          tta: flags.tta,
          onProgress: (done) => bar?.update(done),
        });
      } finally {
        bar?.stop();
        trained.model.dispose();
      }
      const errors = [
        ...missing.map((file) => ({ file, error: `${file}: no such file or folder` })),
        ...results.filter((r) => !r.ok).map((r) => ({ file: r.source, error: r.ok ? '' : r.error })),
      ];
      if (flags.json) {
        const predictions = results.flatMap((r) =>
          r.ok
            ? [
                {
                  file: r.source,
                  emotion: r.emotion,
                  label: r.label,
                  probabilities: Object.fromEntries(EMOTIONS.map((e, i) => [e, r.probabilities[i]])),
                  ...(r.warning ? { warning: r.warning } : {}),
                },
              ]
            : [],
        );
        process.stdout.write(JSON.stringify({ predictions, errors }, null, 2) + '\n');
      } else {
        if (results.some((r) => r.ok)) process.stdout.write(formatPredictions(results));
        for (const e of errors) process.stderr.write(`facial predict: ${e.error}\n`);
      }
      for (const r of results) if (r.ok && r.warning) process.stderr.write(`facial predict: warning: ${r.warning}\n`);
      if (files.length === 0 && missing.length === 0) process.stderr.write('facial predict: no PNG or JPEG images found\n');
      if (errors.length > 0 || files.length === 0) process.exitCode = 1;
    });
}
