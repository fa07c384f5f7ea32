/**
 * `facial train`: the seed's three training scripts as one command. The flags map onto
 * trainOnFer2013 (training/fer2013-run.ts), which does the work; this file parses and prints.
 */
import { Command, InvalidArgumentError } from 'commander';
import * as tf from '@tensorflow/tfjs';
import type { TrainResult } from '../train';
import { trainOnFer2013 } from '../training/fer2013-run';
import type { AugmentationName } from '../data/augmentations';
import type { ModelKind } from '../models/registry';
import type { QuantizeDtype } from '../io/quantize';
import { choiceFlag, intFlag, modelKindFlag, positiveInt, positiveNumber, quantizeFlag } from './flags';
import { formatSeedTable } from '../evaluation/verify';
import { addFolderTrainOptions, FolderTrainFlags, folderTrainOptions } from './folder-data';

/** Flags of `facial train` (snake_case as the seed's scripts). */
export interface TrainFlags extends FolderTrainFlags {
  model: ModelKind;
  image_size?: number;
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
  /** Start a fresh run over a prefix that holds one (its state is removed first). */
  force?: boolean;
  /** Keep P_state/'s weights when the run finishes, so it can be extended with --resume. */
  keep_state?: boolean;
  augment?: string | boolean;
  /** ReduceLROnPlateau(factor sqrt(0.1), patience 5, min_lr 0.5e-6) as train_resnet_imgsize48.py. */
  reduce_lr?: boolean;
  /** Print the seed's metrics table at the end (default true for CSV data). */
  no_eval?: boolean;
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

/** Runs one training as the flags say; prints the seed's table (CSV data) or the final metrics. */
export async function runTrain(flags: TrainFlags): Promise<TrainResult> {
  if (flags.reduce_lr && flags.schedule === 'cosine')
    throw new Error('--reduce_lr and --schedule cosine both set the learning rate: choose one');
  const { result, evaluation, prefix, classNames } = await trainOnFer2013({
    model: flags.model,
    size: flags.image_size,
    data: flags.data,
    epochs: flags.epochs,
    limit: flags.limit,
    batchSize: flags.batch_size,
    optimizer: flags.optimizer,
    learningRate: flags.lr,
    savePrefix: flags.save_prefix,
    modelWeights: flags.model_weights,
    classWeight: flags.class_weight,
    seed: flags.seed,
    resume: flags.resume,
    force: flags.force,
    keepState: flags.keep_state,
    augment: flags.augment === true ? true : ((flags.augment || null) as AugmentationName | null),
    schedule: flags.reduce_lr ? 'plateau' : flags.schedule,
    warmupSteps: flags.warmup,
    evaluate: !flags.no_eval,
    verbose: flags.quiet ? 0 : 1,
    timeBudget: flags.minutes,
    checkpointEvery: flags.checkpoint_every,
    monitor: flags.monitor,
    quantize: flags.quantize,
    ...folderTrainOptions(flags),
  });
  if (result.finished) return result; // trainResnet50 said so; nothing was written
  const h = result.history;
  const last = h.loss.length - 1;
  if (evaluation) {
    process.stdout.write(formatSeedTable(evaluation));
  } else if (last >= 0) {
    process.stdout.write(
      `final: loss ${h.loss[last].toFixed(4)} acc ${h.acc[last].toFixed(4)}` +
        (h.val_loss.length ? ` val_loss ${h.val_loss[last].toFixed(4)} val_acc ${h.val_acc[last].toFixed(4)}` : '') +
        '\n',
    );
  }
  if (classNames) process.stdout.write(`classes (stored with the model): ${classNames.join(', ')}\n`);
  process.stdout.write(`saved ${prefix}_model.json, ${prefix}_weights.h5 (best: ${prefix}_best/, log: ${prefix}_log.csv)\n`);
  return result;
}

/** Adds the train subcommand to `program`. */
export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description("train ResNet-50 on FER2013 (the seed's train_resnet50*.py scripts)")
    .option(
      '--model <kind>',
      'resnet50 (Keras, >= 197 px) or resnet50-anysize (raghakot, any size >= 32)',
      modelKindFlag('--model'),
      'resnet50',
    )
    .option('--image_size <n>', 'image side (default 200 for resnet50, 48 for anysize)', positiveInt('--image_size'))
    .option(
      '--data <path>',
      "FER2013 CSV (.csv/.csv.gz), facial preprocess's folder (train_dir/, validation_dir/), or a folder of your own labelled photos (one subfolder per class, optionally under train/ and validation/: faces found as predict finds them); default fer2013/fer2013.csv, else the embedded sample",
    )
    .option('--epochs <n>', 'epochs (default 30; with --minutes, as many as the budget allows)', positiveInt('--epochs'))
    .option(
      '--minutes <m>',
      'time budget: stop cleanly after M minutes (over all resumes), validating and saving as usual',
      positiveNumber('--minutes'),
    )
    .option(
      '--schedule <name>',
      'learning-rate schedule: cosine (CosineDecay over the planned steps) or plateau (as --reduce_lr)',
      choiceFlag('--schedule', ['cosine', 'plateau'] as const),
    )
    .option(
      '--warmup <steps>',
      'linear warm-up steps from 0 to --lr before the cosine (with --schedule cosine; 0: none)',
      intFlag('--warmup', 0),
    )
    .option(
      '--checkpoint_every <n>',
      'also write P_state/ inside an epoch every N minutes, or every N batches as Nb (e.g. 500b)',
      (v: string) => {
        const m = /^(\d+(?:\.\d+)?)(b?)$/.exec(v);
        if (!m || !(Number(m[1]) > 0))
          throw new InvalidArgumentError(`--checkpoint_every must be minutes (10) or batches (500b), got '${v}'`);
        return m[2] ? { batches: Math.ceil(Number(m[1])) } : { minutes: Number(m[1]) };
      },
    )
    .option(
      '--monitor <metric>',
      'what P_best/ keeps the best of: val_loss (default) or val_acc',
      choiceFlag('--monitor', ['val_loss', 'val_acc', 'loss', 'acc'] as const),
    )
    .option('--limit <n>', 'at most N rows per split (CSV data)', positiveInt('--limit'))
    .option('--batch_size <n>', 'batch size', positiveInt('--batch_size'), 50)
    .option(
      '--optimizer <name>',
      'sgd (the seed), adam or momentum',
      choiceFlag('--optimizer', ['sgd', 'adam', 'momentum'] as const),
      'sgd',
    )
    .option('--lr <x>', 'learning rate (default 0.01 for sgd/momentum, 1e-3 for adam)', (v: string) => {
      const x = Number(v);
      if (!(x > 0)) throw new InvalidArgumentError(`--lr must be a positive number, got '${v}'`);
      return x;
    })
    .option('--save_prefix <p>', 'writes P_model.json (+ weights), P_weights.h5, P_best/, P_log.csv, P_state/')
    .option(
      '--model_weights <w>',
      "initial weights: Keras .h5, tfjs model folder / model.json, or 'pretrained' (the shipped model); on a folder of photos a tfjs model brings its architecture and gets a head for the folder's classes",
    )
    .option('--class_weight <mode>', "'balanced' (sklearn's n/(k*count))", (v: string) => {
      if (v !== 'balanced') throw new InvalidArgumentError(`--class_weight only supports 'balanced', got '${v}'`);
      return v;
    })
    .option(
      '--quantize <dtype>',
      'store P_model.json and P_best/ weights as float16 or uint8 (tfjs reads both; P_state/ stays float32)',
      quantizeFlag('--quantize'),
    )
    .option('--seed <n>', 'seed for shuffling, augmentation and initialisation', (v: string) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isInteger(n) || n < 0)
        throw new InvalidArgumentError(`--seed must be a whole number >= 0, got '${v}'`);
      return n;
    })
    .option('--resume', 'continue from P_state/ where the last run stopped (a finished run: says so and writes nothing)')
    .option('--force', 'start a new run even though P_state/ holds one: removes that state (without it, refused)')
    .option(
      '--keep_state',
      "keep P_state/'s weights when the run finishes, so --resume can extend it (default: only P_state/state.json stays)",
    )
    .option(
      '--augment [recipe]',
      'augment training images: shift-flip (imgsize48), shear-zoom-flip (imagegen) or shift-rotate-zoom-flip-erase; default by model',
    )
    .option('--reduce_lr', 'ReduceLROnPlateau(sqrt(0.1), patience 5, min_lr 0.5e-6) as train_resnet_imgsize48.py')
    .option('--no_eval', 'skip the final metrics table')
    .option('--quiet', 'no progress output');
  addFolderTrainOptions(cmd).action(async (flags: TrainFlags) => {
    const { model } = await runTrain(flags);
    model.dispose();
    tf.disposeVariables();
  });
}
