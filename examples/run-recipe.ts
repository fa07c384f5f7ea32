/**
 * What the three train_*.ts examples share: the seed scripts' flags (--model_weights,
 * --save_prefix, --epochs, --data, --limit, --backend, --resume) over one of SEED_RECIPES,
 * then trainOnFer2013 and the seed's table.
 */
import { Command } from 'commander';
import { formatSeedTable, SEED_RECIPES, selectBackend, trainOnFer2013 } from '../src';

/** Parses the flags and runs `recipe` with them. */
export function runRecipe(
  recipe: keyof typeof SEED_RECIPES,
  dataHelp = 'FER2013 CSV (default fer2013/fer2013.csv, else the embedded sample)',
): void {
  const preset = SEED_RECIPES[recipe];
  const flags = new Command()
    .option('--model_weights <w>', 'initial weights (.h5 or tfjs model)')
    .option('--save_prefix <p>', 'output prefix', preset.savePrefix)
    .option('--epochs <n>', 'epochs', Number, preset.epochs)
    .option('--data <path>', dataHelp, preset.data)
    .option('--limit <n>', 'rows per split (CSV data)', Number)
    .option('--backend <name>', 'tensorflow, wasm or cpu')
    .option('--resume', 'continue from {prefix}_state/')
    .parse()
    .opts();
  (async () => {
    await selectBackend(flags.backend);
    const { result, evaluation } = await trainOnFer2013({
      ...preset,
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
}
