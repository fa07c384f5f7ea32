/**
 * `facial export MODEL --out DIR [--quantize float16|uint8] [--shard_mb N]`: rewrites a trained
 * model (tfjs folder / model.json, or a Keras .h5 rebuilt as verify does) as a tfjs model
 * folder, optionally with quantized weights and in shards, for shipping or for the browser.
 * The folder appears whole (staged, then renamed), so a failed export leaves nothing behind.
 * It replaces only what an export wrote: anything else at --out is refused unless --force, and
 * the source model and the current directory are never replaced.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import type * as tf from '@tensorflow/tfjs';
import { loadTrainedModel } from '../io/trained-model';
import { ModelKind } from '../models/registry';
import { saveModel } from '../io/model-io';
import type { QuantizeDtype } from '../io/quantize';
import { swapFolder } from '../io/checkpoint-io';
import { stagingName } from '../files/atomic';
import { pretrainedModelPath } from '../io/pretrained';
import { modelKindFlag, positiveInt, quantizeFlag } from './flags';

interface ExportFlags {
  model_weights?: string;
  out: string;
  force?: boolean;
  quantize?: QuantizeDtype;
  shard_mb?: number;
  image_size?: number;
  model?: ModelKind;
}

/** True when `inner` is `outer` or lies inside it (both absolute). */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `p` when it exists (symlinks resolved), else its absolute path. */
function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** The names in folder `dir` that a previous export wrote: its model.json and the weight files it lists. */
function exportedFiles(dir: string): Set<string> {
  const names = new Set<string>();
  try {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    names.add('model.json');
    for (const group of json.weightsManifest ?? []) for (const p of group.paths) if (!p.includes('/')) names.add(p);
  } catch {
    // No readable model.json: nothing in the folder is known to be an export's.
  }
  return names;
}

/**
 * Throws, naming --out, when writing `out` would lose something: the source model or the
 * current directory (always), an existing file or a folder holding anything but a previous
 * export's files (unless `force`).
 */
export function checkExportTarget(out: string, source: string, force: boolean): void {
  const target = real(out);
  if (within(real(source), target)) {
    throw new Error(`--out ${out} is, or holds, the model being exported (${source}): choose another folder`);
  }
  if (within(process.cwd(), target)) {
    throw new Error(`--out ${out} is, or holds, the current directory: choose a folder for the model alone`);
  }
  if (!fs.existsSync(target) || force) return;
  if (!fs.statSync(target).isDirectory()) {
    throw new Error(`--out ${out} is an existing file, not a model folder: remove it or pass --force to replace it`);
  }
  const known = exportedFiles(target);
  const others = fs
    .readdirSync(target, { withFileTypes: true })
    .filter((e) => !(e.isFile() && known.has(e.name)))
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
  if (others.length > 0) {
    const list = others.slice(0, 5).join(', ') + (others.length > 5 ? `, ... (${others.length} in all)` : '');
    throw new Error(
      `--out ${out} holds files that are not a previous export's (${list}): choose an empty or new folder, or pass --force to replace the folder whole`,
    );
  }
}

/** Adds the export subcommand to `program`. */
export function register(program: Command): void {
  program
    .command('export')
    .description('write a model as a tfjs model folder, optionally quantized (float16/uint8) and sharded')
    .option(
      '--model_weights <path>',
      'the model: tfjs model folder or model.json, or a Keras .h5 (then --image_size / --model); default: the shipped FER2013 model',
    )
    .requiredOption('--out <dir>', 'the folder to write (model.json + weight files): new, empty, or a previous export')
    .option('--force', 'replace --out whole even when it is a file or holds other files (never the source model)')
    .option('--quantize <dtype>', 'store weights as float16 or uint8 (plain tf.loadLayersModel reads both)', quantizeFlag('--quantize'))
    .option('--shard_mb <n>', 'weight files of at most N MiB each (default: one file)', positiveInt('--shard_mb'))
    .option('--image_size <n>', 'input side for a .h5 model (48 or 200)', positiveInt('--image_size'))
    .option('--model <kind>', 'architecture for a .h5 model: resnet50 or resnet50-anysize', modelKindFlag('--model'))
    .action(async (flags: ExportFlags) => {
      const modelPath = flags.model_weights ?? pretrainedModelPath();
      checkExportTarget(flags.out, modelPath, !!flags.force);
      const trained = await loadTrainedModel(modelPath, { imageSize: flags.image_size, model: flags.model });
      const out = path.resolve(flags.out);
      const staged = stagingName(out, 'tmp');
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
