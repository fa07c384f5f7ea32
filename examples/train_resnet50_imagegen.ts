/**
 * Port of train_resnet50_imagegen.py: Keras ResNet50 at 200x200 from the folders
 * `facial preprocess` writes (facial_imgs/train_dir, validation_dir), augmented with
 * shear 0.2 (degrees, Keras >= 2.1.3), zoom 0.2 (zx, zy independent), horizontal flip,
 * fill nearest, then x/255 - 0.5; SGD lr 0.01, batch 50, 50 epochs.
 *
 *   npx ts-node examples/train_resnet50_imagegen.ts [--data facial_imgs] [--model_weights W] [--save_prefix P] [--epochs 50]
 *
 * --data may also be a FER2013 CSV: the same augmentation is then applied to Facial batches.
 */
import { Command } from 'commander';
import { formatSeedTable, SEED_RECIPES, selectBackend, trainOnFer2013 } from '../src';

const flags = new Command()
  .option('--model_weights <w>', 'initial weights (.h5 or tfjs model)')
  .option('--save_prefix <p>', 'output prefix', 'resnet50_imagegen')
  .option('--epochs <n>', 'epochs', Number, 50)
  .option('--data <path>', 'folder with train_dir/ and validation_dir/ (default facial_imgs), or a CSV', 'facial_imgs')
  .option('--limit <n>', 'rows per split (CSV data only)', Number)
  .option('--backend <name>', 'tensorflow, wasm or cpu')
  .parse()
  .opts();

(async () => {
  await selectBackend(flags.backend);
  const { result, evaluation } = await trainOnFer2013({
    ...SEED_RECIPES.train_resnet50_imagegen,
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
