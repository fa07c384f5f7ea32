/**
 * Learning on the real data within a wall-clock budget: raghakot's any-size ResNet-50 at
 * 48x48, Adam 1e-3, shift 0.1 + horizontal flip (the seed's imgsize48 recipe), trained on
 * FER2013 Training for --minutes, then scored once on PublicTest.
 *
 *   npx ts-node bench/learn.ts --minutes 30 [--data ../shared/data/fer2013.csv.gz] [--batch_size 32] [--backend wasm]
 *
 * Prints images seen, images/s (training only) and PublicTest accuracy and macro F1, next to
 * the majority-class baseline (Happy, 24.9% of PublicTest).
 */
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/engine/select';
import { Facial } from '../src/facial';
import { Callback, Logs } from '../src/training/callbacks';
import { fromFacial } from '../src/data/data-source';
import { ImageDataGenerator } from '../src/data/image-generator';
import { trainResnet50 } from '../src/train';
import { evaluateModel } from '../src/evaluation/verify';
import { AUGMENTATIONS } from '../src/data/augmentations';

/** Stops training after the batch during which the deadline passed; counts images. */
class WallClock extends Callback {
  images = 0;
  trainStart = 0;
  trainEnd = 0;
  constructor(private readonly budgetMs: number) {
    super();
  }
  async onTrainBegin() {
    this.trainStart = Date.now();
  }
  async onBatchEnd(_batch: number, logs: Logs = {}) {
    this.images += logs.size ?? 0;
    if (Date.now() - this.trainStart >= this.budgetMs) this.ctx.stopTraining = true;
  }
  async onTrainEnd() {
    this.trainEnd = Date.now();
  }
}

const flags = new Command()
  .option('--minutes <m>', 'training budget in minutes', Number, 1)
  .option('--data <path>', 'FER2013 CSV', '../shared/data/fer2013.csv.gz')
  .option('--batch_size <n>', 'batch size (the seed used 100)', Number, 32)
  .option('--seed <n>', 'seed', Number, 1)
  .option('--backend <name>', 'tensorflow, wasm or cpu (default: fastest present)')
  .option('--save_prefix <p>', 'also save the trained model')
  .parse()
  .opts();

(async () => {
  const backend = await selectBackend(flags.backend);
  const t0 = Date.now();
  const facial = await Facial.load({ csvPath: flags.data, splits: ['train', 'validation'] });
  console.log(
    `loaded ${facial.count('train')} train / ${facial.count('validation')} PublicTest images in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
  const clock = new WallClock(flags.minutes * 60_000);
  const train = new ImageDataGenerator(AUGMENTATIONS['shift-flip']).flowFromSource(
    fromFacial(facial, 'train', { batchSize: flags.batch_size, seed: flags.seed }),
    { seed: flags.seed },
  );
  const { model } = await trainResnet50(train, {
    model: 'resnet50-anysize',
    optimizer: 'adam',
    learningRate: 1e-3,
    epochs: 10_000,
    seed: flags.seed,
    validationData: null,
    callbacks: [clock],
    savePrefix: flags.save_prefix,
    verbose: 1,
  });
  const trainSecs = (clock.trainEnd - clock.trainStart) / 1000;
  const e0 = Date.now();
  const results = await evaluateModel(model, facial, ['validation'], { batchSize: 100 });
  const val = results.validation!;
  const counts = facial.classCounts('validation');
  const majority = Math.max(...counts) / counts.reduce((a, b) => a + b, 0);
  console.log(`backend ${backend.name}, batch ${flags.batch_size}, budget ${flags.minutes} min`);
  console.log(
    `images seen ${clock.images} (${(clock.images / facial.count('train')).toFixed(2)} epochs) in ${trainSecs.toFixed(0)}s = ${(clock.images / trainSecs).toFixed(1)} images/s`,
  );
  console.log(
    `PublicTest accuracy ${(100 * val.accuracy).toFixed(2)}%  macro F1 ${(100 * val.f1).toFixed(2)}%  (majority class ${(100 * majority).toFixed(1)}%; scored in ${((Date.now() - e0) / 1000).toFixed(0)}s)`,
  );
  model.dispose();
  facial.dispose();
  tf.disposeVariables();
})().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
