/**
 * `facial train`: the seed's three training scripts as one command. `runTrain` is also what
 * examples/train_*.ts call with their presets. Data is a FER2013 CSV (validation = PublicTest)
 * or a folder as `facial preprocess` writes (train_dir/ + validation_dir/ of class folders).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { Facial } from '../facial';
import { Callback, CSVLogger, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN } from '../training/callbacks';
import { fromFacial, DataSource } from '../data/data-source';
import { ImageDataGenerator, ImageDataGeneratorConfig } from '../data/image-generator';
import { trainResnet50, TrainResult } from '../train';
import { CosineDecay } from '../training/schedules';
import { findTrainState } from '../training/train-state';
import { cleanRunLeftovers } from '../io/leftovers';
import { isQuantizeDtype, QuantizeDtype } from '../io/quantize';
import { saveCheckpoint } from '../io/checkpoint-io';
import { evaluateModel, formatSeedTable } from '../evaluation/verify';

/** The seed's two augmentation recipes. */
export const AUGMENTATIONS: Record<string, ImageDataGeneratorConfig> = {
  /** train_resnet_imgsize48.py */
  'shift-flip': { widthShiftRange: 0.1, heightShiftRange: 0.1, horizontalFlip: true },
  /** train_resnet50_imagegen.py (shear in degrees here; see image-generator.ts) */
  'shear-zoom-flip': { shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true },
};

/** Flags of `facial train` (snake_case as the seed's scripts). */
export interface TrainFlags {
  model: 'resnet50' | 'resnet50-anysize';
  size?: number;
  data?: string;
  epochs?: number;
  limit?: number;
  batch_size: number;
  optimizer: 'sgd' | 'adam' | 'momentum';
  lr?: number;
  save_prefix?: string;
  model_weights?: string;
  class_weight?: 'balanced';
  seed?: number;
  resume?: boolean;
  augment?: string | boolean;
  /** ReduceLROnPlateau(factor sqrt(0.1), patience 5, min_lr 0.5e-6) as train_resnet_imgsize48.py. */
  reduce_lr?: boolean;
  /** Print the seed's metrics table at the end (default true for CSV data). */
  eval?: boolean;
  quiet?: boolean;
  /** Time budget in minutes (over all resumes). */
  minutes?: number;
  /** 'cosine': CosineDecay with warm-up over the planned steps; 'plateau': as --reduce_lr. */
  schedule?: 'cosine' | 'plateau';
  /** Linear warm-up steps of the cosine schedule. */
  warmup?: number;
  /** Mid-epoch resume states: every N minutes, or every N batches with a 'b' suffix. */
  checkpoint_every?: { minutes?: number; batches?: number };
  /** What P_best/ keeps the best of (default val_loss, as Keras). */
  monitor?: string;
  /** Store P_model.json's and P_best/'s weights as float16 or uint8 (the resume state stays float32). */
  quantize?: QuantizeDtype;
}

const posInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got '${v}'`);
  return n;
};

const posNumber = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a positive number, got '${v}'`);
  return n;
};

/** Runs one training as the flags say; prints the seed's table (CSV data) or the final metrics. */
export async function runTrain(flags: TrainFlags): Promise<TrainResult> {
  const size = flags.size ?? (flags.model === 'resnet50' ? 200 : 48);
  const prefix = flags.save_prefix ?? (flags.model === 'resnet50' ? 'resnet50' : 'resnet50_48');
  const augmentName = flags.augment === true ? (flags.model === 'resnet50' ? 'shear-zoom-flip' : 'shift-flip') : flags.augment || null;
  if (augmentName && !AUGMENTATIONS[augmentName]) throw new Error(`--augment: unknown recipe '${augmentName}' (use ${Object.keys(AUGMENTATIONS).join(', ')})`);
  const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (flags.reduce_lr && flags.schedule === 'cosine') throw new Error('--reduce_lr and --schedule cosine both set the learning rate: choose one');
  const reduceLr = flags.reduce_lr || flags.schedule === 'plateau';
  const lr = flags.lr ?? (flags.optimizer === 'adam' ? 1e-3 : 0.01);
  const schedule = flags.schedule === 'cosine'
    ? new CosineDecay(flags.warmup ? { initialLearningRate: 0, warmupTarget: lr, warmupSteps: flags.warmup } : { initialLearningRate: lr })
    : undefined;
  // A killed run leaves staging copies (hundreds of MB) and, between two renames, P_best
  // moved aside: put the complete P_best back and remove the rest before writing anew.
  for (let dir = path.dirname(path.resolve(prefix)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(dir)) {
      if (!fs.statSync(dir).isDirectory()) throw new Error(`--save_prefix ${prefix}: ${dir} is a file, not a folder`);
      break;
    }
  }
  cleanRunLeftovers(prefix);
  const resuming = !!flags.resume && findTrainState(`${prefix}_state`) !== null;
  if (flags.resume && !resuming && fs.existsSync(`${prefix}_log.csv`)) {
    process.stdout.write(`No resume state in ${prefix}_state: starting from epoch 1; ${prefix}_log.csv is restarted\n`);
  }

  let train: DataSource;
  let validation: DataSource | null = null;
  let facial: Facial | null = null;
  if (flags.data && fs.existsSync(flags.data) && fs.statSync(flags.data).isDirectory()) {
    const sub = (name: string) => (fs.existsSync(path.join(flags.data!, name)) ? path.join(flags.data!, name) : null);
    const normalise = (x: Float32Array) => x.map((v) => v / 255 - 0.5);
    const opts = { targetSize: [size, size] as [number, number], batchSize: flags.batch_size, seed };
    train = new ImageDataGenerator({ ...(augmentName ? AUGMENTATIONS[augmentName] : {}), preprocessingFunction: normalise })
      .flowFromDirectory(sub('train_dir') ?? flags.data, opts);
    const valDir = sub('validation_dir');
    validation = valDir ? new ImageDataGenerator({ preprocessingFunction: normalise }).flowFromDirectory(valDir, { ...opts, shuffle: false }) : null;
  } else {
    facial = await Facial.load({ csvPath: flags.data, resize: size === 48 ? undefined : size, limit: flags.limit, compact: size > 48 });
    const base = fromFacial(facial, 'train', { batchSize: flags.batch_size, seed });
    // Facial data is already x/255 - 0.5; augmenting it afterwards only moves pixels, so no preprocessing here.
    train = augmentName ? new ImageDataGenerator(AUGMENTATIONS[augmentName]).flowFromSource(base, { seed }) : base;
    validation = facial.count('validation') > 0 ? fromFacial(facial, 'validation', { batchSize: flags.batch_size, shuffle: false }) : null;
  }

  const callbacks: Callback[] = [
    new ModelCheckpoint({
      filepath: `${prefix}_best`, monitor: validation ? (flags.monitor ?? 'val_loss') : 'loss', saveBestOnly: true,
      saver: (model, p) => saveCheckpoint(model, p, { quantize: flags.quantize }),
    }),
    new CSVLogger(`${prefix}_log.csv`, { append: resuming }),
    new TerminateOnNaN(),
  ];
  if (reduceLr) callbacks.push(new ReduceLROnPlateau({ factor: Math.sqrt(0.1), patience: 5, minLr: 0.5e-6, verbose: 1 }));

  const result = await trainResnet50(train, {
    model: flags.model, imageSize: size, optimizer: flags.optimizer, learningRate: flags.lr, batchSize: flags.batch_size,
    epochs: flags.epochs ?? (flags.minutes ? undefined : 30), modelWeights: flags.model_weights, savePrefix: prefix,
    classWeight: flags.class_weight, seed, callbacks, verbose: flags.quiet ? 0 : 1, validationData: validation, resume: flags.resume,
    timeBudget: flags.minutes, learningRateSchedule: schedule, checkpointEvery: flags.checkpoint_every,
    learningRateOverride: flags.lr !== undefined && !schedule, quantize: flags.quantize,
  });
  const h = result.history;
  const last = h.loss.length - 1;
  if (facial && flags.eval !== false) {
    const results = await evaluateModel(result.model, facial, ['train', 'validation', 'test'], { batchSize: flags.batch_size });
    process.stdout.write(formatSeedTable(results));
  } else if (last >= 0) {
    process.stdout.write(`final: loss ${h.loss[last].toFixed(4)} acc ${h.acc[last].toFixed(4)}`
      + (h.val_loss.length ? ` val_loss ${h.val_loss[last].toFixed(4)} val_acc ${h.val_acc[last].toFixed(4)}` : '') + '\n');
  }
  process.stdout.write(`saved ${prefix}_model.json, ${prefix}_weights.h5 (best: ${prefix}_best/, log: ${prefix}_log.csv)\n`);
  facial?.dispose();
  return result;
}

/** Adds the train subcommand to `program`. */
export function register(program: Command): void {
  program.command('train')
    .description('train ResNet-50 on FER2013 (the seed\'s train_resnet50*.py scripts)')
    .option('--model <kind>', 'resnet50 (Keras, >= 197 px) or resnet50-anysize (raghakot, any size >= 32)', (v: string) => {
      if (v !== 'resnet50' && v !== 'resnet50-anysize') throw new InvalidArgumentError(`--model must be resnet50 or resnet50-anysize, got '${v}'`);
      return v;
    }, 'resnet50')
    .option('--size <n>', 'image side (default 200 for resnet50, 48 for anysize)', posInt('--size'))
    .option('--data <path>', 'FER2013 CSV (.csv/.csv.gz) or a folder of class folders (train_dir/, validation_dir/); default fer2013/fer2013.csv, else the embedded sample')
    .option('--epochs <n>', 'epochs (default 30; with --minutes, as many as the budget allows)', posInt('--epochs'))
    .option('--minutes <m>', 'time budget: stop cleanly after M minutes (over all resumes), validating and saving as usual', posNumber('--minutes'))
    .option('--schedule <name>', 'learning-rate schedule: cosine (CosineDecay over the planned steps) or plateau (as --reduce_lr)', (v: string) => {
      if (v !== 'cosine' && v !== 'plateau') throw new InvalidArgumentError(`--schedule must be cosine or plateau, got '${v}'`);
      return v;
    })
    .option('--warmup <steps>', 'linear warm-up steps from 0 to --lr before the cosine', posInt('--warmup'))
    .option('--checkpoint_every <n>', 'also write P_state/ inside an epoch every N minutes, or every N batches as Nb (e.g. 500b)', (v: string) => {
      const m = /^(\d+(?:\.\d+)?)(b?)$/.exec(v);
      if (!m || !(Number(m[1]) > 0)) throw new InvalidArgumentError(`--checkpoint_every must be minutes (10) or batches (500b), got '${v}'`);
      return m[2] ? { batches: Math.ceil(Number(m[1])) } : { minutes: Number(m[1]) };
    })
    .option('--monitor <metric>', 'what P_best/ keeps the best of: val_loss (default) or val_acc', (v: string) => {
      if (!['val_loss', 'val_acc', 'loss', 'acc'].includes(v)) throw new InvalidArgumentError(`--monitor must be val_loss, val_acc, loss or acc, got '${v}'`);
      return v;
    })
    .option('--limit <n>', 'at most N rows per split (CSV data)', posInt('--limit'))
    .option('--batch_size <n>', 'batch size', posInt('--batch_size'), 50)
    .option('--optimizer <name>', 'sgd (the seed), adam or momentum', (v: string) => {
      if (!['sgd', 'adam', 'momentum'].includes(v)) throw new InvalidArgumentError(`--optimizer must be sgd, adam or momentum, got '${v}'`);
      return v;
    }, 'sgd')
    .option('--lr <x>', 'learning rate (default 0.01 for sgd/momentum, 1e-3 for adam)', (v: string) => {
      const x = Number(v);
      if (!(x > 0)) throw new InvalidArgumentError(`--lr must be a positive number, got '${v}'`);
      return x;
    })
    .option('--save_prefix <p>', 'writes P_model.json (+ weights), P_weights.h5, P_best/, P_log.csv, P_state/')
    .option('--model_weights <w>', 'initial weights: Keras .h5 or tfjs model folder / model.json')
    .option('--class_weight <mode>', "'balanced' (sklearn's n/(k*count))", (v: string) => {
      if (v !== 'balanced') throw new InvalidArgumentError(`--class_weight only supports 'balanced', got '${v}'`);
      return v;
    })
    .option('--quantize <dtype>', 'store P_model.json and P_best/ weights as float16 or uint8 (tfjs reads both; P_state/ stays float32)', (v: string) => {
      if (!isQuantizeDtype(v)) throw new InvalidArgumentError(`--quantize must be float16 or uint8, got '${v}'`);
      return v;
    })
    .option('--seed <n>', 'seed for shuffling, augmentation and initialisation', (v: string) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--seed must be a whole number >= 0, got '${v}'`);
      return n;
    })
    .option('--resume', 'continue from P_state/ where the last run stopped')
    .option('--augment [recipe]', 'augment training images: shift-flip (imgsize48) or shear-zoom-flip (imagegen); default by model')
    .option('--reduce_lr', 'ReduceLROnPlateau(sqrt(0.1), patience 5, min_lr 0.5e-6) as train_resnet_imgsize48.py')
    .option('--no-eval', 'skip the final metrics table')
    .option('--quiet', 'no progress output')
    .action(async (flags: TrainFlags) => {
      const { model } = await runTrain(flags);
      model.dispose();
      tf.disposeVariables();
    });
}
