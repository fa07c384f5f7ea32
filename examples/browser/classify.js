/*
 * Classifies the face shown on the page with the shipped model, preprocessing as facial-resnet
 * does in Node: grey by PIL's luma formula, resized to the model's input side by the canvas
 * (for a 48x48 face there is no resize), then x / 255 - 0.5.
 *
 * Query parameters: model=URL of model.json (default model/model.json), backend=cpu|webgl|wasm,
 * report=1 to POST {probabilities, emotion, backend} to /result (what the test reads).
 */
/* global tf */
const EMOTIONS = ['Angry', 'Disgust', 'Fear', 'Happy', 'Sad', 'Surprise', 'Neutral'];
const params = new URLSearchParams(location.search);

function toInput(img, side) {
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(img, 0, 0, side, side);
  const rgba = ctx.getImageData(0, 0, side, side).data;
  const x = new Float32Array(side * side);
  for (let i = 0; i < x.length; i++) {
    // PIL's convert('L') in integers, as facial-resnet's toGrayscale
    const grey = (rgba[4 * i] * 19595 + rgba[4 * i + 1] * 38470 + rgba[4 * i + 2] * 7471 + 0x8000) >> 16;
    x[i] = grey / 255 - 0.5;
  }
  return tf.tensor4d(x, [1, side, side, 1]);
}

function show(probabilities) {
  const best = probabilities.indexOf(Math.max(...probabilities));
  document.getElementById('emotion').textContent = EMOTIONS[best];
  document.getElementById('probs').innerHTML = EMOTIONS.map(
    (e, i) => `<tr><td>${e}</td><td class="p">${(100 * probabilities[i]).toFixed(2)}%</td></tr>`,
  ).join('');
  return EMOTIONS[best];
}

async function classify(model, img) {
  const side = model.inputs[0].shape[1];
  const probabilities = tf.tidy(() => Array.from(model.predict(toInput(img, side)).dataSync()));
  return { probabilities, emotion: show(probabilities) };
}

async function main() {
  if (params.get('backend')) await tf.setBackend(params.get('backend'));
  await tf.ready();
  const model = await tf.loadLayersModel(params.get('model') || 'model/model.json');
  const img = document.getElementById('face');
  if (!img.complete)
    await new Promise((ok, fail) => {
      img.onload = ok;
      img.onerror = () => fail(new Error('face.png did not load'));
    });
  const result = await classify(model, img);
  if (params.get('report')) {
    await fetch('/result', { method: 'POST', body: JSON.stringify({ ...result, backend: tf.getBackend() }) });
  }
  document.getElementById('file').addEventListener('change', (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    img.onload = () => classify(model, img);
    img.src = URL.createObjectURL(file);
  });
}

main().catch(async (err) => {
  document.getElementById('emotion').textContent = `error: ${err.message}`;
  if (params.get('report')) await fetch('/result', { method: 'POST', body: JSON.stringify({ error: err.message }) });
});
