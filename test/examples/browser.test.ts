/**
 * The shipped model carries only standard tfjs class names: plain @tensorflow/tfjs loads it
 * over HTTP, in a Node process with none of this project's code, and in a real browser
 * (Debian's headless Chromium running examples/browser/), and both give the probabilities
 * facial-resnet's own predict gives, to 1e-4. Outside CI the browser half skips when
 * Chromium is not installed; in CI (.ci/run installs it) it must run.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { startServer } from '../../examples/browser/serve';
import { predict } from '../../src/evaluation/predict';
import { readImage, toGrayscale } from '../../src/data/image-io';
import { loadTrainedModel } from '../../src/io/trained-model';
import { PRETRAINED_MODEL_DIR } from '../../src/io/pretrained';
import { ROOT } from '../helpers/paths';
import { haveChromium, visitPage } from '../helpers/chromium';

const modelDir = process.env.FACIAL_TEST_MODEL_DIR ?? PRETRAINED_MODEL_DIR;
const face = path.join(ROOT, 'examples', 'browser', 'face.png');

async function reference(): Promise<number[]> {
  await tf.setBackend('cpu');
  const { model } = await loadTrainedModel(modelDir);
  const [r] = await predict(model, [face]);
  model.dispose();
  assert.ok(r.ok);
  return r.probabilities;
}

const near = (got: number[], want: number[], what: string) => {
  assert.equal(got.length, 7, what);
  got.forEach((p, i) => assert.ok(Math.abs(p - want[i]) < 1e-4, `${what}: class ${i} ${p} vs ${want[i]}`));
};

test('plain @tensorflow/tfjs in Node loads the model over HTTP and gives the same probabilities', async () => {
  const want = await reference();
  const { server, url } = await startServer({ modelDir });
  try {
    // The child requires nothing but @tensorflow/tfjs; the face is given as the 48x48 input.
    const pixels = toGrayscale(readImage(face));
    const script = `const tf = require('@tensorflow/tfjs');
      (async () => { await tf.setBackend('cpu');
        const m = await tf.loadLayersModel('${url}model/model.json');
        const px = ${JSON.stringify(Array.from(pixels))};
        const x = tf.tensor4d(px.map((v) => v / 255 - 0.5), [1, 48, 48, 1]);
        console.log(JSON.stringify(Array.from(m.predict(x).dataSync()))); })();`;
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT });
    let out = '',
      err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c;
    });
    const code = await new Promise((ok) => child.on('exit', ok));
    assert.equal(code, 0, err);
    near(JSON.parse(out.trim().split('\n').pop()!), want, 'plain tfjs in Node');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('examples/browser in headless Chromium classifies the face with the probabilities Node gives', { timeout: 180_000 }, async (t) => {
  if (!haveChromium(t)) return;
  const want = await reference();
  const result = await visitPage<{ probabilities?: number[]; emotion?: string; backend?: string; error?: string }>({
    page: 'index.html?backend=cpu&report=1',
    timeoutMs: 150_000,
    serve: { modelDir },
  });
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.backend, 'cpu');
  near(result.probabilities!, want, 'Chromium');
  const emotions = ['Angry', 'Disgust', 'Fear', 'Happy', 'Sad', 'Surprise', 'Neutral'];
  assert.equal(result.emotion, emotions[want.indexOf(Math.max(...want))]);
});
