/**
 * `facial export MODEL --out DIR [--quantize float16|uint8] [--shard_mb N]`: rewrites a trained
 * model (tfjs folder / model.json, or a Keras .h5 rebuilt as verify does) as a tfjs model
 * folder, optionally with quantized weights and in shards, for shipping or for the browser.
 * The folder appears whole (staged, then renamed), so a failed export leaves nothing behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { loadTrainedModel } from '../io/trained-model';
import { ModelKind } from '../models/registry';
import { saveModel } from '../io/model-io';
import type { QuantizeDtype } from '../io/quantize';
import { swapFolder } from '../io/checkpoint-io';
import { modelKindFlag, positiveInt, quantizeFlag } from './flags';

interface ExportFlags {
  out: string;
  quantize?: QuantizeDtype;
  shard_mb?: number;
  image_size?: number;
  model_kind?: ModelKind;
}

/** Adds the export subcommand to `program`. */
export function register(program: Command): void {
  program
    .command('export')
    .description('write a model as a tfjs model folder, optionally quantized (float16/uint8) and sharded')
    .argument('<model>', 'tfjs model folder or model.json, or a Keras .h5 (then --image_size / --model_kind)')
    .requiredOption('--out <dir>', 'the folder to write (model.json + weight files); replaced whole')
    .option('--quantize <dtype>', 'store weights as float16 or uint8 (plain tf.loadLayersModel reads both)', quantizeFlag('--quantize'))
    .option('--shard_mb <n>', 'weight files of at most N MiB each (default: one file)', positiveInt('--shard_mb'))
    .option('--image_size <n>', 'input side for a .h5 model (48 or 200)', positiveInt('--image_size'))
    .option('--model_kind <kind>', 'architecture for a .h5 model: resnet50 or resnet50-anysize', modelKindFlag('--model_kind'))
    .action(async (modelPath: string, flags: ExportFlags) => {
      const trained = await loadTrainedModel(modelPath, { imageSize: flags.image_size, model: flags.model_kind });
      const out = path.resolve(flags.out);
      const staged = `${out}.tmp-${Math.random().toString(36).slice(2, 8)}`;
      try {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        await saveModel(trained.model, staged, {
          quantize: flags.quantize,
          shardBytes: flags.shard_mb ? flags.shard_mb * 2 ** 20 : undefined,
        });
        swapFolder(staged, out);
      } catch (err) {
        fs.rmSync(staged, { recursive: true, force: true });
        throw new Error(`export to ${out}: ${(err as Error).message}`);
      } finally {
        trained.model.dispose();
      }
      const files = fs.readdirSync(out).sort();
      const bytes = files.reduce((s, f) => s + fs.statSync(path.join(out, f)).size, 0);
      process.stdout.write(
        `wrote ${out}: ${files.join(', ')} (${(bytes / 2 ** 20).toFixed(1)} MiB, weights ${flags.quantize ?? 'float32'})\n`,
      );
    });
}
