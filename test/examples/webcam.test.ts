/**
 * examples/browser/webcam.html in Debian's headless Chromium with a fake camera playing a clip
 * made here (FER2013 sample faces pasted into a background, as .y4m): the page finds the faces
 * of a camera frame, frames and classifies them with plain tfjs, and reports the boxes, scores
 * and emotions together with the frame's pixels; Node's predictFaces on those same pixels must
 * give the same faces. Outside CI it skips when Chromium is not installed; in CI it must run.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { haveChromium, visitPage } from '../helpers/chromium';
import { predictFaces } from '../../src/evaluation/predict-faces';
import { loadTrainedModel } from '../../src/io/trained-model';
import { PRETRAINED_MODEL_DIR } from '../../src/io/pretrained';
import { readFerCsvSync } from '../../src/data/fer-csv';
import { SAMPLE_CSV_PATH } from '../../src/facial';
import { toY4m, twoFaceScene } from '../../scripts/scenes';

interface PageFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  emotion: string;
  probabilities: number[];
}
interface PageResult {
  faces?: PageFace[];
  width?: number;
  height?: number;
  rgba?: string;
  backend?: string;
  error?: string;
}

test('the webcam page boxes and labels a fake-camera frame as Node does', { timeout: 240_000 }, async (t) => {
  if (!haveChromium(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-webcam-'));
  const sample = readFerCsvSync(SAMPLE_CSV_PATH, { splits: ['validation'], limit: 8 }).splits.validation!;
  const scene = twoFaceScene(sample.pixels); // a big face right, a smaller one left
  const clip = path.join(dir, 'clip.y4m');
  fs.writeFileSync(clip, toY4m([scene, scene, scene])); // 1.4 MB, made here, never committed

  let page: PageResult;
  try {
    page = await visitPage<PageResult>({
      page: 'webcam.html?source=camera&backend=cpu&report=1',
      flags: [
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${clip}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
      timeoutMs: 200_000,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(page.error, undefined, page.error);
  assert.equal(page.backend, 'cpu');
  assert.deepEqual([page.width, page.height], [640, 480]);
  assert.equal(page.faces!.length, 2, 'both pasted faces');

  // Node on the very pixels the page saw
  await tf.setBackend('cpu');
  const { model } = await loadTrainedModel(PRETRAINED_MODEL_DIR);
  const frame = { data: new Uint8Array(Buffer.from(page.rgba!, 'base64')), width: 640, height: 480, channels: 4 as const };
  const [node] = await predictFaces(model, [frame]);
  model.dispose();
  assert.ok(node.ok);
  assert.equal(node.faces.length, page.faces!.length);
  node.faces.forEach((want, i) => {
    const have = page.faces![i];
    for (const k of ['x', 'y', 'width', 'height'] as const) {
      assert.ok(Math.abs(have.box[k] - want.box[k]) < 0.5, `face ${i} ${k}: page ${have.box[k]} vs node ${want.box[k]}`);
    }
    assert.ok(Math.abs(have.score - want.score) < 1e-3, `face ${i} score`);
    assert.equal(have.emotion, want.emotion, `face ${i} emotion`);
    have.probabilities.forEach((p, c) =>
      assert.ok(Math.abs(p - want.probabilities[c]) < 1e-3, `face ${i} class ${c}: ${p} vs ${want.probabilities[c]}`),
    );
  });
  // the big face is the first, right of centre, where it was pasted
  assert.ok(node.faces[0].box.x > 360 && node.faces[0].box.x < 480, JSON.stringify(node.faces[0].box));
});
