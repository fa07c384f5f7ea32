/**
 * Photos per second of the whole face pipeline, detect + frame + classify (predictFaces, all the
 * runs in one call, as `facial predict` scores a folder: mean time per image), on a
 * 640x480 picture with one face and one with four (FER2013 sample faces pasted into a colour
 * background: scripts/scenes.ts), and, in the same run on the same pictures, the yardstick:
 * @vladmandic/human's face pipeline with emotion (its BlazeFace, face mesh and emotion model;
 * iris, description, antispoof and liveness off), with its result caching turned off so every
 * frame is computed. Human loads its models over HTTP, so they are served from node_modules by
 * examples/browser/serve.ts; it runs on tfjs's 'wasm' backend (its Node build without
 * tfjs-node), ours on the library's choice (--backend to force one; FACIAL_WASM_THREADS=1 for
 * the single-threaded wasm build). Human's figure is the median of --runs calls.
 *
 *   npx ts-node bench/detect.ts [--runs 10] [--backend wasm]
 */
import * as path from 'node:path';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/engine/select';
import { loadPretrained } from '../src/io/pretrained';
import { FaceDetector } from '../src/detection/detector';
import { predictFaces } from '../src/evaluation/predict-faces';
import { readFerCsvSync } from '../src/data/fer-csv';
import { SAMPLE_CSV_PATH } from '../src/facial';
import { RawImage } from '../src/data/raw-image';
import { background, pasteFace } from '../scripts/scenes';
import { startServer } from '../examples/browser/serve';

const flags = new Command()
  .option('--runs <n>', 'timed runs per picture (after 2 warm-up runs)', Number, 10)
  .option('--backend <name>', 'backend of our pipeline')
  .parse()
  .opts<{ runs: number; backend?: string }>();

/** The two pictures: one face of 200 px; four of 90..150 px. */
function pictures(): { name: string; image: RawImage; faces: number }[] {
  const sample = readFerCsvSync(SAMPLE_CSV_PATH, { splits: ['validation'], limit: 8 }).splits.validation!;
  const face = (i: number) => sample.pixels.subarray(i * 2304, (i + 1) * 2304);
  const one = background(640, 480, 21);
  pasteFace(one, face(3), 220, 120, 200);
  const four = background(640, 480, 22);
  [
    [40, 60, 150],
    [360, 40, 130],
    [90, 290, 110],
    [420, 300, 90],
  ].forEach(([x, y, s], i) => pasteFace(four, face(i + 1), x, y, s));
  return [
    { name: '640x480, 1 face', image: one, faces: 1 },
    { name: '640x480, 4 faces', image: four, faces: 4 },
  ];
}

/** Median seconds of `runs` calls of `fn` after two warm-up calls, and what the last call returned (Human's timing). */
async function time<T>(fn: () => Promise<T>, runs: number): Promise<{ seconds: number; last: T }> {
  let last = await fn();
  last = await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    last = await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)], last };
}

(async () => {
  const pics = pictures();
  const rows: string[] = [];
  const ours = await selectBackend(flags.backend);
  const { model } = await loadPretrained();
  const detector = await FaceDetector.load();
  const before = tf.memory().numTensors;
  for (const p of pics) {
    // as `facial predict` scores a folder: one call for all the runs (the classifier is prepared once a call)
    await predictFaces(model, [p.image, p.image], { detector });
    const t0 = process.hrtime.bigint();
    const results = await predictFaces(model, new Array<RawImage>(flags.runs).fill(p.image), { detector });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9 / flags.runs;
    const last = results[results.length - 1];
    const found = last.ok ? last.faces.length : 0;
    rows.push(`facial-resnet (${ours.name})  ${p.name}: ${(1 / seconds).toFixed(2)} images/s, ${found} of ${p.faces} faces found`);
    process.stderr.write(rows[rows.length - 1] + '\n');
  }
  if (tf.memory().numTensors !== before) throw new Error(`our pipeline left ${tf.memory().numTensors - before} tensors behind`);
  detector.dispose();
  model.dispose();

  // Human shares this process's tfjs-core; it switches to its own backend from here on.
  // its package "exports" lack the './' its Node builds need, so the wasm build is required by path
  const humanWasm = path.join(path.dirname(require.resolve('@vladmandic/human')), 'human.node-wasm.js');
  const { Human } = require(humanWasm) as typeof import('@vladmandic/human');
  const { server, url } = await startServer();
  const off = { enabled: false };
  const human = new Human({
    backend: 'wasm',
    wasmPath: path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'),
    modelBasePath: `${url}detector/`,
    debug: false,
    cacheSensitivity: 0,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 10, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: true },
      emotion: { enabled: true, skipFrames: 0, skipTime: 0 },
      iris: off,
      description: off,
      antispoof: off,
      liveness: off,
    },
    body: off,
    hand: off,
    object: off,
    gesture: off,
    segmentation: off,
    filter: off,
  });
  try {
    await human.load();
    for (const p of pics) {
      const input = tf.tidy(() => tf.tensor4d(Float32Array.from(p.image.data), [1, p.image.height, p.image.width, 3]));
      const { seconds, last } = await time(() => human.detect(input as never), flags.runs);
      input.dispose();
      rows.push(
        `@vladmandic/human (${tf.getBackend()})  ${p.name}: ${(1 / seconds).toFixed(2)} images/s, ${last.face.length} of ${p.faces} faces found`,
      );
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  process.stdout.write(rows.join('\n') + '\n');
})().catch((err) => {
  process.stderr.write(`bench/detect: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
