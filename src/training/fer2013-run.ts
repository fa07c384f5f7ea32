/**
 * One training on FER2013 as `facial train` runs it, as a library call: the data loaded the
 * way the model kind wants it (models/registry.ts), the seed's augmentation, the run's
 * callbacks (best checkpoint, CSV log, TerminateOnNaN, the LR schedule), trainResnet50, and
 * the seed's table at the end. Data is a FER2013 CSV (validation = PublicTest) or a folder as
 * `facial preprocess` writes (train_dir/ + validation_dir/ of class folders).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CSV_PATH, Facial } from '../facial';
import { trainResnet50, TrainResult } from '../train';
import { fromFacial, DataSource } from '../data/data-source';
import { ImageDataGenerator } from '../data/image-generator';
import { inputPreparation } from '../data/input-preparation';
import { modelSpec } from '../models/registry';
import { cleanRunLeftovers } from '../files/leftovers';
import { lockPrefix } from '../files/lock';
import { saveCheckpoint } from '../io/checkpoint-io';
import { evaluateModel, EvaluationResults } from '../evaluation/verify';
import { Callback, CSVLogger, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN } from './callbacks';
import { CosineDecay } from './schedules';
import { normalisePixel } from '../data/resize';
import { planResume, RunSettings } from './train-state';
import { Fer2013TrainOptions, SEED_PLATEAU } from './recipes';
import { AUGMENTATIONS, AugmentationName, isAugmentationName } from '../data/augmentations';
import { FaceFolderData, folderClassNames, isPhotoFolder, loadFaceFolder } from '../data/face-folder';
import { SPLITS } from '../data/fer-csv';
import { resolveModelWeights } from '../io/pretrained';
import { isKerasWeightsFile } from '../io/trained-model';
import { resolveModelJson } from '../io/model-io';
import { modelJsonInputSide } from '../models/fine-tune';

export type { Fer2013TrainOptions } from './recipes';

/** What trainOnFer2013 resolves to. The caller disposes `result.model`. */
export interface Fer2013TrainRun {
  result: TrainResult;
  /** The seed's table's figures (null for `facial preprocess` folders or evaluate: false). */
  evaluation: EvaluationResults | null;
  /** The class names of a folder of your own photos (null for FER2013). */
  classNames: readonly string[] | null;
  prefix: string;
}

/** Fails, naming the flag, when a folder on the way to `prefix` is a file. */
function checkPrefixFolder(prefix: string): void {
  for (let dir = path.dirname(path.resolve(prefix)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(dir)) {
      if (!fs.statSync(dir).isDirectory()) throw new Error(`--save_prefix ${prefix}: ${dir} is a file, not a folder`);
      return;
    }
  }
}

/** Train and validation sources for CSV or folder data. */
async function loadData(
  o: Fer2013TrainOptions,
  size: number,
  seed: number,
  augment: AugmentationName | null,
  log: (m: string) => void,
): Promise<{ train: DataSource; validation: DataSource | null; facial: Facial | null; photos: FaceFolderData | null }> {
  const data = o.data;
  if (isPhotoFolder(data)) {
    const photos = await loadFaceFolder(data, { validationSplit: o.validationSplit, detect: o.detect, seed, batchSize: o.batchSize, size });
    log(photos.summary);
    for (const s of photos.skipped) log(`  skipped ${s.file}: ${s.reason}`);
    // The folder's faces are already x/255 - 0.5, as Facial's: augmenting only moves pixels.
    const train = augment ? new ImageDataGenerator(AUGMENTATIONS[augment]).flowFromSource(photos.train, { seed }) : photos.train;
    return { train, validation: photos.validation, facial: null, photos };
  }
  if (data && fs.existsSync(data) && fs.statSync(data).isDirectory()) {
    const sub = (name: string) => (fs.existsSync(path.join(data, name)) ? path.join(data, name) : null);
    // After augmentation the pixels are no longer whole numbers: the function, not the byte table.
    const normalise = (x: Float32Array) => x.map(normalisePixel);
    const opts = { targetSize: [size, size] as [number, number], batchSize: o.batchSize, seed };
    const train = new ImageDataGenerator({
      ...(augment ? AUGMENTATIONS[augment] : {}),
      preprocessingFunction: normalise,
    }).flowFromDirectory(sub('train_dir') ?? data, opts);
    const valDir = sub('validation_dir');
    const validation = valDir
      ? new ImageDataGenerator({ preprocessingFunction: normalise }).flowFromDirectory(valDir, { ...opts, shuffle: false })
      : null;
    return { train, validation, facial: null, photos: null };
  }
  const prep = inputPreparation(size);
  const facial = await Facial.load({ csvPath: data, resize: prep.resize, limit: o.limit, compact: prep.compact });
  const base = fromFacial(facial, 'train', { batchSize: o.batchSize, seed });
  // Facial data is already x/255 - 0.5; augmenting it afterwards only moves pixels, so no preprocessing here.
  const train = augment ? new ImageDataGenerator(AUGMENTATIONS[augment]).flowFromSource(base, { seed }) : base;
  const validation = facial.count('validation') > 0 ? fromFacial(facial, 'validation', { batchSize: o.batchSize, shuffle: false }) : null;
  return { train, validation, facial, photos: null };
}

/** Stands in for the data of a run that is already finished: none is read. */
const NO_DATA: DataSource = {
  size: 0,
  numBatches: 0,
  async *batches() {},
};

/**
 * The settings that shape a run, recorded in its resume state: a resume that changes one is
 * refused (training/train-state.ts). The length (--epochs, --minutes) and --lr may change.
 */
function runSettings(o: Fer2013TrainOptions, size: number, augment: AugmentationName | null, classes: string[] | null): RunSettings {
  const data = o.data ?? (fs.existsSync(DEFAULT_CSV_PATH) ? DEFAULT_CSV_PATH : null);
  // A folder of photos: its classes, how faces are found and held out, and the freeze shape the run too.
  const photos: RunSettings = classes
    ? { classes: classes.join(','), validation_split: o.validationSplit ?? 0.2, no_detect: o.detect === false, freeze: o.freezeEpochs ?? 0 }
    : {};
  return {
    ...photos,
    model: o.model,
    image_size: size,
    data: data === null ? 'the embedded sample' : path.resolve(data),
    limit: o.limit ?? null,
    batch_size: o.batchSize,
    augment: augment ?? 'none',
    class_weight: o.classWeight ?? null,
    schedule: o.schedule ?? null,
    warmup: o.warmupSteps ?? 0,
    monitor: o.monitor ?? 'val_loss',
  };
}

/**
 * Trains as `facial train` does and scores the three splits (CSV data). The save prefix is
 * locked for the whole call: a second training on it, in another process, is refused.
 */
export async function trainOnFer2013(o: Fer2013TrainOptions): Promise<Fer2013TrainRun> {
  const spec = modelSpec(o.model, '--model');
  const prefix = o.savePrefix ?? spec.defaultPrefix;
  const augment = o.augment === true ? spec.augmentation : o.augment || null;
  if (augment && !isAugmentationName(augment))
    throw new Error(`--augment: unknown recipe '${augment}' (use ${Object.keys(AUGMENTATIONS).join(', ')})`);
  if (o.warmupSteps && o.schedule !== 'cosine') {
    throw new Error(
      `--warmup ${o.warmupSteps} is the warm-up of --schedule cosine, which is not set: add --schedule cosine, or leave out --warmup`,
    );
  }
  checkPrefixFolder(prefix);
  const release = lockPrefix(prefix);
  try {
    return await trainLocked(o, prefix, augment);
  } finally {
    release();
  }
}

async function trainLocked(o: Fer2013TrainOptions, prefix: string, augment: AugmentationName | null): Promise<Fer2013TrainRun> {
  const spec = modelSpec(o.model, '--model');
  const log = o.log ?? ((m: string) => process.stdout.write(m + '\n'));
  const photoFolder = isPhotoFolder(o.data);
  // Fine-tuning a tfjs model on photos: the data is prepared at the model's own side.
  const weights = o.modelWeights === undefined ? undefined : resolveModelWeights(o.modelWeights);
  const weightsSide = photoFolder && weights && !isKerasWeightsFile(weights) ? modelJsonInputSide(resolveModelJson(weights)) : null;
  const size = o.size ?? weightsSide ?? spec.defaultSize;
  const classes = photoFolder ? folderClassNames(o.data!) : null;
  const lr = o.learningRate ?? (o.optimizer === 'adam' ? 1e-3 : 0.01);
  const schedule =
    o.schedule === 'cosine'
      ? new CosineDecay(
          o.warmupSteps ? { initialLearningRate: 0, warmupTarget: lr, warmupSteps: o.warmupSteps } : { initialLearningRate: lr },
        )
      : undefined;
  const settings = runSettings(o, size, augment, classes);
  const epochs = o.epochs ?? (o.timeBudget ? undefined : 30);
  // Before the data is read (minutes for the full file): refusals and a finished run cost nothing.
  const plan = planResume(`${prefix}_state`, {
    resume: o.resume,
    force: o.force,
    epochs: epochs ?? Infinity,
    budgetMs: o.timeBudget !== undefined ? o.timeBudget * 60_000 : Infinity,
    given: { seed: o.seed, ...settings },
  });
  // The data order and augmentation of a resumed run come from its first run's seed.
  const seed = plan.meta?.seed ?? o.seed ?? Math.floor(Math.random() * 2 ** 31);
  // A killed run leaves staging copies (hundreds of MB) and, between two renames, P_best
  // moved aside: put the complete P_best back and remove the rest before writing anew.
  cleanRunLeftovers(prefix);
  const resuming = plan.found !== null;
  if (o.resume && !resuming && fs.existsSync(`${prefix}_log.csv`)) {
    log(`No resume state in ${prefix}_state: starting from epoch 1; ${prefix}_log.csv is restarted`);
  }

  const { train, validation, facial, photos } = plan.finished
    ? { train: classes ? { ...NO_DATA, classNames: classes } : NO_DATA, validation: null, facial: null, photos: null }
    : await loadData(o, size, seed, augment, log);
  try {
    const callbacks: Callback[] = [
      new ModelCheckpoint({
        filepath: `${prefix}_best`,
        monitor: validation ? (o.monitor ?? 'val_loss') : 'loss',
        saveBestOnly: true,
        saver: (model, p) => saveCheckpoint(model, p, { quantize: o.quantize }),
      }),
      new CSVLogger(`${prefix}_log.csv`, { append: resuming }),
      new TerminateOnNaN(),
    ];
    if (o.schedule === 'plateau') callbacks.push(new ReduceLROnPlateau(SEED_PLATEAU));

    const result = await trainResnet50(train, {
      model: o.model,
      imageSize: size,
      optimizer: o.optimizer,
      learningRate: o.learningRate,
      batchSize: o.batchSize,
      epochs,
      modelWeights: o.modelWeights,
      savePrefix: prefix,
      classWeight: o.classWeight,
      seed,
      callbacks,
      verbose: o.verbose ?? 1,
      validationData: validation,
      resume: o.resume,
      force: o.force,
      keepState: o.keepState ?? false,
      runSettings: settings,
      timeBudget: o.timeBudget,
      learningRateSchedule: schedule,
      checkpointEvery: o.checkpointEvery,
      learningRateOverride: o.learningRate !== undefined && !schedule,
      quantize: o.quantize,
      freezeEpochs: o.freezeEpochs,
    });
    const scored = facial ?? photos?.folder;
    const evaluation =
      scored && o.evaluate !== false && !result.finished
        ? await evaluateModel(
            result.model,
            scored,
            SPLITS.filter((s) => scored.count(s) > 0),
            { batchSize: o.batchSize },
          )
        : null;
    return { result, evaluation, prefix, classNames: classes };
  } finally {
    facial?.dispose();
  }
}
