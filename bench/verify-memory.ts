/**
 * Shows that `evaluateModel` scores in constant memory: verifies N = 1,000 and 4,000
 * training images at 200x200 with an untrained Keras ResNet50 (seed head) on the wasm
 * backend, each N in its own child process, and prints each child's peak RSS
 * (process.resourceUsage().maxRSS) and images/s. Holding 4,000 float32 images of 200x200
 * at once would alone take 640 MB, so flat peaks mean the batches really are streamed.
 *
 *   npx ts-node bench/verify-memory.ts [--data /path/fer2013.csv(.gz)] [--sizes 1000,4000] [--batch_size 50]
 *
 * Slow on purpose: a full ResNet-50 forward pass per image (minutes per 1,000 on 2 cores).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/engine/select';
import { Facial } from '../src/facial';
import { resnet50 } from '../src/resnet50';
import { evaluateModel } from '../src/evaluation/verify';

interface ChildResult {
  n: number;
  seconds: number;
  imagesPerSecond: number;
  maxRssMB: number;
  backend: string;
  accuracy: number;
}

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    data: { type: 'string' },
    sizes: { type: 'string', default: '1000,4000' },
    batch_size: { type: 'string', default: '50' },
  },
});
const DEFAULT_DATA = ['fer2013/fer2013.csv', '/work/shared/data/fer2013.csv.gz'].find((p) => fs.existsSync(p));

async function child(n: number): Promise<void> {
  const backend = await selectBackend('wasm', { quiet: true });
  const model = resnet50({ inputShape: [200, 200, 1], head: 'seed', seed: 1 });
  const facial = await Facial.load({ csvPath: values.data ?? DEFAULT_DATA, resize: 200, compact: true, limit: n, splits: ['train'] });
  if (facial.count('train') < n) throw new Error(`only ${facial.count('train')} training rows in the data, asked for ${n}`);
  const results = await evaluateModel(model, facial, ['train'], { batchSize: Number(values.batch_size) });
  const r = results.train!;
  const out: ChildResult = {
    n,
    seconds: r.seconds,
    imagesPerSecond: r.imagesPerSecond,
    accuracy: r.accuracy,
    backend: backend.name,
    maxRssMB: process.resourceUsage().maxRSS / 1024, // maxRSS is in kilobytes
  };
  model.dispose();
  facial.dispose();
  tf.disposeVariables();
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

function parent(): void {
  const sizes = values.sizes!.split(',').map(Number);
  console.log(
    `verify memory bench: resnet50 (seed head) at 200x200, wasm backend, batch ${values.batch_size}, data ${values.data ?? DEFAULT_DATA}`,
  );
  const rows: ChildResult[] = [];
  for (const n of sizes) {
    const args = ['--require', 'ts-node/register', __filename, '--child', String(n), '--batch_size', values.batch_size!];
    if (values.data) args.push('--data', values.data);
    const stdout = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`child for N=${n} printed no result`);
    const r = JSON.parse(line.slice(7)) as ChildResult;
    rows.push(r);
    console.log(
      `N=${String(r.n).padStart(5)}  peak RSS ${r.maxRssMB.toFixed(0).padStart(5)} MB  ${r.imagesPerSecond.toFixed(2)} images/s  (${r.seconds.toFixed(1)} s, backend ${r.backend})`,
    );
  }
  if (rows.length >= 2) {
    const [a, b] = [rows[0], rows[rows.length - 1]];
    const naive = ((b.n - a.n) * 200 * 200 * 4) / 2 ** 20;
    console.log(
      `peak RSS ratio N=${b.n} / N=${a.n}: ${(b.maxRssMB / a.maxRssMB).toFixed(3)} (holding the extra ${b.n - a.n} images as float32 would add ${naive.toFixed(0)} MB)`,
    );
  }
}

if (values.child)
  child(Number(values.child)).catch((err: Error) => {
    console.error(err);
    process.exitCode = 1;
  });
else parent();
