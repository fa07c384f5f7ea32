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
import { selectBackend } from '../src/engine/select';
import { runTrain } from '../src/cli/train';

const flags = new Command()
  .option('--model_weights <w>', 'initial weights (.h5 or tfjs model)')
  .option('--save_prefix <p>', 'output prefix', 'resnet50_48')
  .option('--epochs <n>', 'epochs', Number, 200)
  .option('--data <path>', 'FER2013 CSV (default fer2013/fer2013.csv, else the embedded sample)')
  .option('--limit <n>', 'rows per split', Number)
  .option('--backend <name>', 'tensorflow, wasm or cpu')
  .option('--resume', 'continue from {prefix}_state/')
  .parse().opts();

(async () => {
  await selectBackend(flags.backend);
  await runTrain({
    model: 'resnet50-anysize', size: 48, optimizer: 'adam', lr: 1e-3, batch_size: 100, augment: 'shift-flip', reduce_lr: true,
    epochs: flags.epochs, data: flags.data, limit: flags.limit, save_prefix: flags.save_prefix, model_weights: flags.model_weights,
    resume: flags.resume,
  });
})().catch((err: Error) => { console.error(err.message); process.exitCode = 1; });
