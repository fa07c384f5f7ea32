/*
 * Faces from a photo or the webcam, boxed and labelled live. The models run in plain
 * TensorFlow.js (tf.loadGraphModel for BlazeFace, tf.loadLayersModel for the classifier); the
 * decoding, letterbox, FER2013 framing and PIL resize are facial-resnet's own src/ modules,
 * compiled for the browser by serve.ts (/lib/), so a frame gives the boxes and labels that
 * `facial predict` gives for the same pixels.
 *
 * Query parameters: source=camera to start the webcam at once, backend=cpu|webgl|wasm,
 * report=1 to POST the first frame with a face ({faces, width, height, rgba (base64), backend})
 * to /result (what the test reads).
 */
/* global tf */
import { anchorCentres } from './lib/detection/anchors.js';
import { decodeFaces, joinOutputs } from './lib/detection/decode.js';
import { findFaces } from './lib/detection/faces.js';
import { cropSquare } from './lib/detection/framing.js';
import { NORMALISE_TABLE, prepareFaceInto } from './lib/data/resize.js';
import { EMOTIONS, NUM_CLASSES } from './lib/data/emotions.js';
import { inputPreparation } from './lib/data/input-preparation.js';

const INPUT = 256;
const params = new URLSearchParams(location.search);
const anchors = anchorCentres(INPUT);
const view = document.getElementById('view');
const ctx = view.getContext('2d', { willReadFrequently: true });

/** The faces of one RGBA frame, largest first, each with its emotion: the steps of predictFaces. */
async function facesOf(detector, model, img) {
  const faces = await findFaces(img, INPUT, async (pixels) => {
    const outputs = tf.tidy(() => detector.execute(tf.tensor4d(pixels, [1, INPUT, INPUT, 3])));
    const parts = await Promise.all(outputs.map(async (t) => ({ shape: t.shape, data: await t.data() })));
    tf.dispose(outputs);
    const { logits, regressors } = joinOutputs(parts);
    return decodeFaces(logits, regressors, anchors);
  });
  if (faces.length === 0) return [];
  const side = model.inputs[0].shape[1];
  const xs = new Float32Array(faces.length * side * side);
  const face8 = new Uint8Array(side * side);
  const { stretch, shrink } = inputPreparation(side);
  faces.forEach((f, i) => {
    const crop = cropSquare(img, f.frame); // grey, edge pixels repeated
    prepareFaceInto(crop.data, crop.width, crop.height, side, stretch, face8, shrink);
    for (let p = 0; p < face8.length; p++) xs[i * side * side + p] = NORMALISE_TABLE[face8[p]];
  });
  const probs = tf.tidy(() => model.predict(tf.tensor4d(xs, [faces.length, side, side, 1])));
  const values = await probs.data();
  probs.dispose();
  return faces.map((f, i) => {
    const probabilities = Array.from(values.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES));
    const label = probabilities.indexOf(Math.max(...probabilities));
    return { ...f, label, emotion: EMOTIONS[label], probabilities };
  });
}

/** Boxes and labels over the frame already drawn on the canvas, and the table under it. */
function draw(faces) {
  const unit = Math.max(1, Math.round(Math.max(view.width, view.height) / 320));
  ctx.lineWidth = 2 * unit;
  ctx.font = `${12 * unit}px sans-serif`;
  faces.forEach((f, i) => {
    ctx.strokeStyle = '#00e070';
    ctx.strokeRect(f.box.x, f.box.y, f.box.width, f.box.height);
    ctx.fillStyle = '#00e070';
    ctx.fillText(`${i + 1} ${f.emotion} ${(100 * f.probabilities[f.label]).toFixed(0)}%`, f.box.x, Math.max(12 * unit, f.box.y - 3 * unit));
  });
  document.getElementById('faces').innerHTML = faces
    .map((f, i) => `<tr><td>${i + 1}</td><td>${f.emotion}</td><td>${f.probabilities.map((p) => (100 * p).toFixed(1)).join(' ')}</td></tr>`)
    .join('');
  document.getElementById('status').textContent = faces.length ? `${faces.length} face(s)` : 'no face found';
}

/** Draws `source` (video or image) on the canvas at its own size and returns its pixels as facial-resnet's RawImage. */
function grab(source, width, height) {
  view.width = width;
  view.height = height;
  ctx.drawImage(source, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height);
  return { data: new Uint8Array(data.buffer), width, height, channels: 4 };
}

async function report(body) {
  await fetch('/result', { method: 'POST', body: JSON.stringify(body) });
}

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function startCamera(detector, model) {
  const video = document.getElementById('video');
  video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  await video.play();
  let reported = !params.get('report');
  let frames = 0;
  const step = async () => {
    if (video.videoWidth > 0) {
      const img = grab(video, video.videoWidth, video.videoHeight);
      const pixels = img.data.slice(); // before the boxes are drawn over it
      const faces = await facesOf(detector, model, img);
      draw(faces);
      frames++;
      if (!reported && (faces.length > 0 || frames >= 30)) {
        reported = true;
        await report({ faces, width: img.width, height: img.height, rgba: base64(pixels), backend: tf.getBackend() });
      }
    }
    requestAnimationFrame(step);
  };
  step();
}

async function main() {
  if (params.get('backend')) await tf.setBackend(params.get('backend'));
  await tf.ready();
  const [detector, model] = await Promise.all([tf.loadGraphModel('detector/blazeface.json'), tf.loadLayersModel('model/model.json')]);
  document.getElementById('status').textContent = 'ready: use the webcam or pick a photo';
  document.getElementById('camera').addEventListener('click', () => startCamera(detector, model));
  document.getElementById('file').addEventListener('change', (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    const image = new Image();
    image.onload = async () => draw(await facesOf(detector, model, grab(image, image.naturalWidth, image.naturalHeight)));
    image.src = URL.createObjectURL(file);
  });
  if (params.get('source') === 'camera') await startCamera(detector, model);
}

main().catch(async (err) => {
  document.getElementById('status').textContent = `error: ${err.message}`;
  if (params.get('report')) await report({ error: err.message });
});
