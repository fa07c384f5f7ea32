/**
 * Port of train_resnet50.py: Keras ResNet50 (+ the seed's head) at 200x200, in memory
 * (compact: resized per batch), plain SGD lr 0.01, batch 50, 30 epochs, checkpoint on
 * val_loss (PublicTest), saves {prefix}_model.json and {prefix}_weights.h5.
 *
 *   npx ts-node examples/train_resnet50.ts [--model_weights W] [--save_prefix resnet50] [--epochs 30] [--data CSV] [--limit N]
 */
import { Command } from 'commander';
import { formatSeedTable, SEED_RECIPES, selectBackend, trainOnFer2013 } from '../src';

const flags = new Command()
  .option('--model_weights <w>', 'initial weights (.h5 or tfjs model)')
  .option('--save_prefix <p>', 'output prefix', 'resnet50')
  .option('--epochs <n>', 'epochs', Number, 30)
  .option('--data <path>', 'FER2013 CSV (default fer2013/fer2013.csv, else the embedded sample)')
  .option('--limit <n>', 'rows per split', Number)
  .option('--backend <name>', 'tensorflow, wasm or cpu')
  .parse()
  .opts();

(async () => {
  await selectBackend(flags.backend);
  const { result, evaluation } = await trainOnFer2013({
    ...SEED_RECIPES.train_resnet50,
    epochs: flags.epochs,
    data: flags.data,
    limit: flags.limit,
    savePrefix: flags.save_prefix,
    modelWeights: flags.model_weights,
  });
  if (evaluation) process.stdout.write(formatSeedTable(evaluation));
  result.model.dispose();
})().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
