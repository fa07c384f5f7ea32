/**
 * What weight quantization costs in accuracy: exports a model as float16 and uint8 (tfjs's
 * quantization manifest, as `facial export --quantize`), scores float32, float16 and uint8 on
 * PublicTest, and prints size, accuracy and the change against float32, then the smallest
 * format within 0.3 points (the one to ship: chosen on PublicTest, as everything that ships).
 *
 *   npm run build && npx ts-node bench/quantize.ts --model runs/x/p_best [--data ../shared/data/fer2013.csv.gz]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/engine/select';
import { Facial } from '../src/facial';
import { loadTrainedModel } from '../src/io/trained-model';
import { saveModel } from '../src/io/model-io';
import { evaluateModel } from '../src/evaluation/verify';

const flags = new Command()
  .requiredOption('--model <dir>', 'the float32 model')
  .option('--data <csv>', 'FER2013 CSV', '../shared/data/fer2013.csv.gz')
  .option('--limit <n>', 'PublicTest rows (default all)', Number)
  .parse()
  .opts();

const folderBytes = (dir: string) => fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);

(async () => {
  await selectBackend();
  const facial = await Facial.load({ csvPath: flags.data, splits: ['validation'], compact: true, limit: flags.limit });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quantize-'));
  const rows: Array<{ dtype: string; mib: number; accuracy: number }> = [];
  for (const dtype of ['float32', 'float16', 'uint8'] as const) {
    let dir = flags.model as string;
    if (dtype !== 'float32') {
      const src = await loadTrainedModel(flags.model);
      dir = path.join(tmp, dtype);
      await saveModel(src.model, dir, { quantize: dtype });
      src.model.dispose();
    }
    const { model } = await loadTrainedModel(dir);
    const r = (await evaluateModel(model, facial, ['validation'], { batchSize: 64 })).validation!;
    model.dispose();
    rows.push({ dtype, mib: folderBytes(dir) / 2 ** 20, accuracy: 100 * r.accuracy });
    console.log(
      `${dtype.padEnd(8)} ${rows.at(-1)!.mib.toFixed(1).padStart(6)} MiB  PublicTest accuracy ${rows.at(-1)!.accuracy.toFixed(2)}%  change ${(rows.at(-1)!.accuracy - rows[0].accuracy).toFixed(2)} points  (${r.support} faces)`,
    );
  }
  const ok = rows.filter((r) => Math.abs(r.accuracy - rows[0].accuracy) <= 0.3).sort((a, b) => a.mib - b.mib);
  console.log(`smallest within 0.3 points: ${ok[0].dtype}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  facial.dispose();
  tf.disposeVariables();
})().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
