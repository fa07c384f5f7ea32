/**
 * Port of train_resnet_imgsize48.py: raghakot's any-size ResNet-50 at 48x48 (no resize, no
 * stretch), Adam lr 1e-3, batch 100, up to 200 epochs, ReduceLROnPlateau(sqrt(0.1), patience 5,
 * min_lr 0.5e-6), best checkpoint, width/height shift 0.1 + horizontal flip.
 * Unlike the seed, it validates (and so picks the checkpoint and LR schedule) on PublicTest,
 * never on the test split; PrivateTest is only scored once in the final table.
 *
 *   npx ts-node examples/train_resnet50_imgsize48.ts [--model_weights W] [--save_prefix P] [--epochs 200] [--data CSV] [--limit N]
 */
import { Command } from 'commander';
import { formatSeedTable, SEED_RECIPES, selectBackend, trainOnFer2013 } from '../src';

const flags = new Command()
  .option('--model_weights <w>', 'initial weights (.h5 or tfjs model)')
  .option('--save_prefix <p>', 'output prefix', 'resnet50_48')
  .option('--epochs <n>', 'epochs', Number, 200)
  .option('--data <path>', 'FER2013 CSV (default fer2013/fer2013.csv, else the embedded sample)')
  .option('--limit <n>', 'rows per split', Number)
  .option('--backend <name>', 'tensorflow, wasm or cpu')
  .option('--resume', 'continue from {prefix}_state/')
  .parse()
  .opts();

(async () => {
  await selectBackend(flags.backend);
  const { result, evaluation } = await trainOnFer2013({
    ...SEED_RECIPES.train_resnet50_imgsize48,
    epochs: flags.epochs,
    data: flags.data,
    limit: flags.limit,
    savePrefix: flags.save_prefix,
    modelWeights: flags.model_weights,
    resume: flags.resume,
  });
  if (evaluation) process.stdout.write(formatSeedTable(evaluation));
  result.model.dispose();
})().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
