/**
 * Times ResNet-50 (any-size) training steps and prediction, and prints images/s.
 *
 *   npx ts-node bench/step.ts [--backend wasm|wasm-threaded [--threads 2]|webgpu|cpu] [--model resnet50-anysize|resnet50]
 *                             [--size 48] [--batch 32] [--steps 3] [--warmup 1]
 *                             [--profile] [--peak] [--predict-only] [--no-predict]
 *
 * A step is what training runs: optimizer.minimize of categorical cross-entropy + the model's
 * regularisation losses, in training mode (src/train.ts makeTrainStep when it exists).
 * --profile prints the time per kernel name of one step (tf.profile), to see where it goes.
 * --peak reports the most tensor memory one step holds at once (tf.profile's peakBytes, over the
 * model and optimizer already allocated), to say what batch a device's memory takes.
 * Prediction is timed with model.predict and with compileForInference (BN folded into convs).
 * --torch then runs ../shared/bench/torch_resnet50.py at the same size/batch and prints ratios.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { registerThreadedWasmBackend, registerWasmTrainingKernels } from '../src/engine/wasm';
import { resnet50AnySize } from '../src/resnet50-anysize';
import { resnet50 } from '../src/resnet50';
import { compileForInference } from '../src/models/inference';

// Synchronous in commits before the WebGPU engine, asynchronous since: awaiting serves both.
type StepFn = (xs: tf.Tensor4D, ys: tf.Tensor2D) => { loss: number; acc: number } | Promise<{ loss: number; acc: number }>;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** The training step: src/train.ts's makeTrainStep if present, else the same thing inline. */
function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer): StepFn {
  const train = require('../src/train') as { makeTrainStep?: (m: tf.LayersModel, o: tf.Optimizer) => StepFn };
  if (typeof train.makeTrainStep === 'function') return train.makeTrainStep(model, optimizer);
  return (xs, ys) => {
    const loss = optimizer.minimize(() => {
      const probs = model.apply(xs, { training: true }) as tf.Tensor;
      const ce = tf.metrics.categoricalCrossentropy(ys, probs).mean();
      const reg = model.losses.map((fn) => fn());
      return reg.length > 0 ? (tf.addN([ce, ...reg]) as tf.Scalar) : (ce as tf.Scalar);
    }, true) as tf.Scalar;
    const value = loss.dataSync()[0];
    loss.dispose();
    return { loss: value, acc: NaN };
  };
}

async function main(): Promise<void> {
  const backend = arg('backend', 'wasm');
  const size = Number(arg('size', '48'));
  const batch = Number(arg('batch', '32'));
  const steps = Number(arg('steps', '3'));
  const warmup = Number(arg('warmup', '1'));
  if (backend === 'wasm-threaded') await registerThreadedWasmBackend({ threads: Number(arg('threads', '2')) });
  else if (backend === 'wasm') registerWasmTrainingKernels();
  if (backend === 'webgpu') {
    const { activateWebGpuBackend } = require('../src/engine/webgpu') as typeof import('../src/engine/webgpu');
    await activateWebGpuBackend({ allowSoftware: true });
  }
  await tf.setBackend(backend);
  await tf.ready();

  const keras = arg('model', 'resnet50-anysize') === 'resnet50';
  const model = keras
    ? resnet50({ inputShape: [size, size, 1], seed: 1, head: 'seed', headDropout: true })
    : resnet50AnySize({ inputShape: [size, size, 1], seed: 1 });
  const xs = tf.randomUniform([batch, size, size, 1], -0.5, 0.5, 'float32', 7) as tf.Tensor4D;
  const ys = tf
    .oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % 7),
        'int32',
      ),
      7,
    )
    .toFloat() as tf.Tensor2D;
  const load = os.loadavg()[0].toFixed(2);
  const result: Record<string, unknown> = {
    backend: tf.getBackend(),
    model: keras ? 'resnet50' : 'resnet50-anysize',
    size,
    batch,
    load1: load,
  };
  if (backend === 'wasm-threaded') result.threads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();

  if (!flag('predict-only')) {
    result.optimizer = 'adam';
    const step = trainStep(model, tf.train.adam(1e-3));
    for (let i = 0; i < warmup; i++) await step(xs, ys);
    if (flag('peak')) {
      const resident = tf.memory().numBytes;
      const info = await tf.profile(async () => {
        await step(xs, ys);
      });
      result.resident_mb = Math.round(resident / 2 ** 20);
      result.step_peak_mb = Math.round(info.peakBytes / 2 ** 20);
      result.step_peak_mb_per_image = Number((info.peakBytes / 2 ** 20 / batch).toFixed(1));
    }
    if (flag('profile')) {
      const info = await tf.profile(async () => {
        await step(xs, ys);
      });
      const byKernel = new Map<string, { ms: number; n: number }>();
      for (const k of info.kernels) {
        const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
        e.ms += Number(k.kernelTimeMs) || 0;
        e.n += 1;
        byKernel.set(k.name, e);
      }
      const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const total = rows.reduce((a, [, e]) => a + e.ms, 0);
      console.log(`profile of one step: ${total.toFixed(0)} ms in ${info.kernels.length} kernels`);
      for (const [name, e] of rows.slice(0, 25)) console.log(`  ${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms  x${e.n}`);
    }
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let loss = NaN;
    for (let i = 0; i < steps; i++) loss = (await step(xs, ys)).loss;
    const ms = (performance.now() - t0) / steps;
    const cpu = process.cpuUsage(c0);
    result.step_ms = Math.round(ms);
    // CPU time of all this process's threads: steadier than wall time when others load the machine.
    result.cpu_ms_per_step = Math.round((cpu.user + cpu.system) / 1000 / steps);
    result.train_img_s = Number(((batch * 1000) / ms).toFixed(2));
    result.loss = Number(loss.toFixed(4));
    result.leaked_tensors = tf.memory().numTensors - before;
  }
  if (!flag('no-predict')) {
    // Read asynchronously: WebGPU cannot read synchronously in Node.
    const timePredict = async (run: () => tf.Tensor) => {
      const once = async () => {
        const y = run();
        await y.data();
        y.dispose();
      };
      await once();
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await once();
      return Number(((batch * steps * 1000) / (performance.now() - t0)).toFixed(2));
    };
    result.predict_img_s = await timePredict(() => model.predict(xs) as tf.Tensor);
    const compiled = compileForInference(model);
    result.compiled_predict_img_s = await timePredict(() => compiled.predict(xs));
    compiled.dispose();
  }
  result.load1_end = os.loadavg()[0].toFixed(2);
  if (flag('torch')) {
    // The PyTorch yardstick right after, same size and batch, for ratios under the same load.
    const peer = path.resolve(__dirname, '..', process.env.TORCH_BENCH ?? '../shared/bench/torch_resnet50.py');
    const torch = JSON.parse(
      execFileSync(process.env.TORCH_PYTHON ?? '/usr/bin/python3', [peer, '--size', String(size), '--batch', String(batch)], {
        encoding: 'utf8',
      }).trim(),
    ) as Record<string, number>;
    result.torch_train_img_s = torch.train_img_s;
    result.torch_predict_img_s = torch.predict_img_s;
    if (typeof result.train_img_s === 'number') result.train_ratio = +(result.train_img_s / torch.train_img_s).toFixed(3);
    if (typeof result.compiled_predict_img_s === 'number') {
      result.predict_ratio = +((result.predict_img_s as number) / torch.predict_img_s).toFixed(3);
      result.compiled_predict_ratio = +(result.compiled_predict_img_s / torch.predict_img_s).toFixed(3);
    }
  }
  console.log(JSON.stringify(result));
  process.exit(0); // the threaded backend's idle workers would keep Node alive
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
