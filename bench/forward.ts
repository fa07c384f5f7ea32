/**
 * Forward-pass (inference) timing of the two ResNet-50s, and their parameter counts.
 *
 *   npx ts-node bench/forward.ts [--backend wasm|cpu|tensorflow] [--runs N] [--only 48|200]
 *
 * 48: raghakot's any-size model, batch 32. 200: the Keras 2.1 model with the seed's head,
 * batch 8. One untimed warm-up pass per model (kernel compilation, allocation), then N timed
 * passes; prints the median and the best per batch and images/s. Figures are only meaningful
 * on an otherwise idle machine.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/engine/select';
import { resnet50 } from '../src/resnet50';
import { resnet50AnySize } from '../src/resnet50-anysize';

interface Case {
  label: string;
  side: number;
  batch: number;
  build: () => tf.LayersModel;
}

const CASES: Case[] = [
  { label: 'resnet50AnySize 48x48', side: 48, batch: 32, build: () => resnet50AnySize({ inputShape: [48, 48, 1], seed: 1 }) },
  {
    label: "resnet50 (head 'seed') 200x200",
    side: 200,
    batch: 8,
    build: () => resnet50({ inputShape: [200, 200, 1], head: 'seed', seed: 1 }),
  },
];

function countOf(ws: tf.LayerVariable[]): number {
  return ws.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b as number), 1), 0);
}

/** One forward pass, waiting for the result to be downloaded (so async backends are timed fully). */
async function forward(model: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = model.predict(x) as tf.Tensor;
  await y.data();
  y.dispose();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { backend: { type: 'string' }, runs: { type: 'string', default: '3' }, only: { type: 'string' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got '${values.runs}'`);
  if (values.only !== undefined && !['48', '200'].includes(values.only))
    throw new Error(`--only: expected 48 or 200, got '${values.only}'`);
  const info = await selectBackend(values.backend, { quiet: true });
  console.log(`backend ${info.name} (${info.provider}); ${runs} timed run(s) after 1 warm-up; node ${process.version}`);

  for (const c of CASES) {
    if (values.only !== undefined && Number(values.only) !== c.side) continue;
    const model = c.build();
    const trainable = countOf(model.trainableWeights);
    const nonTrainable = countOf(model.nonTrainableWeights);
    const x = tf.randomUniform([c.batch, c.side, c.side, 1], -0.5, 0.5, 'float32', 7);
    await forward(model, x);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await forward(model, x));
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    console.log(
      `${c.label}: params ${model.countParams().toLocaleString('en-US')} ` +
        `(trainable ${trainable.toLocaleString('en-US')}, non-trainable ${nonTrainable.toLocaleString('en-US')})`,
    );
    console.log(
      `  batch ${c.batch}: median ${(median / 1000).toFixed(3)} s/batch, best ${(times[0] / 1000).toFixed(3)} s; ` +
        `${(c.batch / (median / 1000)).toFixed(1)} images/s (median)`,
    );
    x.dispose();
    model.dispose();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
