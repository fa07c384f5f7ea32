/**
 * `facial predict FILE_OR_DIR... --model P`: the faces in each image (found by the detector,
 * largest first, each framed as FER2013's) with their box, detector score, top emotion and the
 * seven probabilities, as a table or --json; an image without a face says so. `--no_detect`
 * classifies each whole image as a face crop (the behaviour before detection, for FER-style
 * inputs), `--annotate DIR` writes each image with its boxes and labels drawn. Folders are
 * searched recursively for PNG/JPEG files, with a progress bar (on a terminal only). A file
 * that cannot be read is reported by name, the rest are still scored, and the exit code is then 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import * as cliProgress from 'cli-progress';
import { EMOTIONS } from '../data/emotions';
import { isImageFile } from '../data/image-io';
import { predict, PredictResult } from '../evaluation/predict';
import { FacePredictResult, predictFaces } from '../evaluation/predict-faces';
import { annotatedPath, writeAnnotated } from '../evaluation/annotate';
import { FaceDetector } from '../detection/detector';
import { loadTrainedModel } from '../io/trained-model';
import { ModelKind } from '../models/registry';
import { pretrainedModelPath } from '../io/pretrained';
import { classNamesOf } from '../models/fine-tune';
import { choiceFlag, modelKindFlag, numberInRange, positiveInt } from './flags';
import { TestTimeAugmentation, TTA_MODES } from '../models/tta';

interface PredictFlags {
  model_weights?: string;
  json?: boolean;
  batch_size: number;
  image_size?: number;
  model?: ModelKind;
  stretch?: boolean;
  no_stretch?: boolean;
  tta: TestTimeAugmentation;
  no_detect?: boolean;
  annotate?: string;
  border?: number;
  min_score?: number;
}

/** What an image without a face says, in the table and in --json. */
export const NO_FACE = 'no face found';

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

/** The heading of the predicted-class column: 'emotion' for FER2013's seven, 'class' for a model's own classes. */
export function classColumn(names: readonly string[]): string {
  return names.length === EMOTIONS.length && names.every((n, i) => n === EMOTIONS[i]) ? 'emotion' : 'class';
}

/** The results as an aligned table: file, top class, then the probabilities in percent. */
export function formatPredictions(results: PredictResult<string>[], names: readonly string[] = EMOTIONS): string {
  const ok = results.filter((r) => r.ok);
  const header = ['file', classColumn(names), ...names];
  const rows = ok.map((r) => [r.source, r.emotion, ...r.probabilities.map((p) => (100 * p).toFixed(2))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** One line per face: file, face number, box (x y w h, whole pixels), detector score, top class, probabilities in percent. */
export function formatFacePredictions(results: FacePredictResult<string>[], names: readonly string[] = EMOTIONS): string {
  const header = ['file', 'face', 'box (x y w h)', 'score', classColumn(names), ...names];
  const rows = results.flatMap((r) => {
    if (!r.ok) return [];
    if (r.faces.length === 0) return [[r.source, '-', NO_FACE]];
    return r.faces.map((f, i) => [
      r.source,
      String(i + 1),
      [f.box.x, f.box.y, f.box.width, f.box.height].map((v) => Math.round(v)).join(' '),
      f.score.toFixed(3),
      f.emotion,
      ...f.probabilities.map((p) => (100 * p).toFixed(2)),
    ]);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((row) => row.length > 3).map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (cells.length === 3 && i === 2 ? c : i < 5 && i !== 3 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** The --json form of face results: per image its size and faces, or the NO_FACE message. */
export function facesJson(results: FacePredictResult<string>[], names: readonly string[] = EMOTIONS): object[] {
  const round = (v: number) => Math.round(v * 100) / 100;
  return results.flatMap((r) =>
    r.ok
      ? [
          {
            file: r.source,
            width: r.width,
            height: r.height,
            faces: r.faces.map((f) => ({
              box: { x: round(f.box.x), y: round(f.box.y), width: round(f.box.width), height: round(f.box.height) },
              score: f.score,
              keypoints: f.keypoints.map(([x, y]) => [round(x), round(y)]),
              emotion: f.emotion,
              label: f.label,
              probabilities: Object.fromEntries(names.map((e, i) => [e, f.probabilities[i]])),
            })),
            ...(r.faces.length === 0 ? { message: NO_FACE } : {}),
          },
        ]
      : [],
  );
}

/** Adds the predict subcommand to `program`. */
export function register(program: Command): void {
  program
    .command('predict')
    .description('find the faces in PNG/JPEG images and predict the emotion of each (--no_detect: each image is one face crop)')
    .argument('<images...>', 'image files and/or folders')
    .option(
      '--model_weights <path>',
      'tfjs model folder or model.json, or a Keras .h5 (then --image_size / --model); default: the shipped FER2013 model',
    )
    .option(
      '--json',
      'print JSON: { images: [{file, width, height, faces: [{box, score, keypoints, emotion, label, probabilities}], message?}], errors: [{file, error}] } ({ predictions, errors } with --no_detect)',
    )
    .option('--no_detect', 'no face detection: classify each whole image as a FER2013-style face crop')
    .option('--annotate <dir>', 'write each image with its face boxes and labels drawn, as DIR/<name>.faces.png')
    .option(
      '--border <f>',
      'search once with this grey border on each side, in image sides (default: none, then 0.5 when the image looks like a tight crop)',
      numberInRange('--border', 0, 10),
    )
    .option('--min_score <p>', 'detector confidence a face needs (default 0.5)', numberInRange('--min_score', 0, 1))
    .option('--batch_size <n>', 'images per forward pass', positiveInt('--batch_size'), 32)
    .option('--image_size <n>', 'input side for a .h5 model (48 or 200)', positiveInt('--image_size'))
    .option('--model <kind>', 'architecture for a .h5 model: resnet50 or resnet50-anysize', modelKindFlag('--model'))
    .option('--stretch', 'bytescale before resizing (default: on for models whose input is not 48, as they were trained)')
    .option('--no_stretch', 'never bytescale')
    .option(
      '--tta <mode>',
      'flip: average each face with its mirror (twice the work, a point or two more accurate); none',
      choiceFlag('--tta', TTA_MODES),
      'flip',
    )
    .action(async (inputs: string[], flags: PredictFlags) => {
      if (flags.no_detect && flags.annotate) throw new Error('--annotate draws detected faces: it cannot go with --no_detect');
      if (flags.stretch && flags.no_stretch) throw new Error('--stretch and --no_stretch contradict each other: choose one');
      const stretch = flags.no_stretch ? false : flags.stretch;
      const { files, missing } = collectImages(inputs);
      const trained = await loadTrainedModel(flags.model_weights ?? pretrainedModelPath(), {
        imageSize: flags.image_size,
        model: flags.model,
      });
      const names = classNamesOf(trained.model); // the model's own classes (FER2013's seven unless it was fine-tuned)
      const bar =
        process.stderr.isTTY && files.length > flags.batch_size
          ? new cliProgress.SingleBar(
              { format: 'predict [{bar}] {value}/{total} images', stream: process.stderr, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            )
          : null;
      bar?.start(files.length, 0);
      if (!flags.no_detect) {
        const detector = await FaceDetector.load();
        const taken = new Set<string>();
        let faceResults: FacePredictResult<string>[];
        try {
          faceResults = await predictFaces(trained.model, files, {
            detector,
            batchSize: flags.batch_size,
            stretch,
            border: flags.border,
            minScore: flags.min_score,
            tta: flags.tta,
            onImage: flags.annotate ? (img, r) => writeAnnotated(annotatedPath(flags.annotate!, r.source, taken), img, r.faces) : undefined,
            onProgress: (done) => bar?.update(done),
          });
        } finally {
          bar?.stop();
          detector.dispose();
          trained.model.dispose();
        }
        report(faceResults, flags.json ? { images: facesJson(faceResults, names) } : null, () => formatFacePredictions(faceResults, names));
        return;
      }
      let results: PredictResult<string>[];
      try {
        results = await predict(trained.model, files, {
          batchSize: flags.batch_size,
          stretch,
          tta: flags.tta,
          onProgress: (done) => bar?.update(done),
        });
      } finally {
        bar?.stop();
        trained.model.dispose();
      }
      const predictions = results.flatMap((r) =>
        r.ok
          ? [
              {
                file: r.source,
                emotion: r.emotion,
                label: r.label,
                probabilities: Object.fromEntries(names.map((e, i) => [e, r.probabilities[i]])),
                ...(r.warning ? { warning: r.warning } : {}),
              },
            ]
          : [],
      );
      report(results, flags.json ? { predictions } : null, () => formatPredictions(results, names));
      for (const r of results) if (r.ok && r.warning) process.stderr.write(`facial predict: warning: ${r.warning}\n`);

      /** Prints the results (`json`: the JSON body without its errors, or null for the table) and the errors; sets the exit code. */
      function report(all: { ok: boolean; source: string; error?: string }[], json: object | null, table: () => string): void {
        const errors = [
          ...missing.map((file) => ({ file, error: `${file}: no such file or folder` })),
          ...all.filter((r) => !r.ok).map((r) => ({ file: r.source, error: r.error ?? '' })),
        ];
        if (json) {
          process.stdout.write(JSON.stringify({ ...json, errors }, null, 2) + '\n');
        } else {
          if (all.some((r) => r.ok)) process.stdout.write(table());
          for (const e of errors) process.stderr.write(`facial predict: ${e.error}\n`);
        }
        if (files.length === 0 && missing.length === 0) process.stderr.write('facial predict: no PNG or JPEG images found\n');
        if (errors.length > 0 || files.length === 0) process.exitCode = 1;
      }
    });
}
