/**
 * Makes a trained model the one the package ships: exports it (quantized, in 4 MiB shards) to
 * models/fer2013-resnet50-48/, scores it with `facial verify` on the full FER2013 (all three
 * splits) and on the embedded sample's PrivateTest rows, and writes MODEL_CARD.md from those
 * figures and the run's own records (CSV log, resume state). A better model later (a longer
 * run, a GPU run) replaces it through the same command.
 *
 *   npm run build && npx ts-node scripts/ship-model.ts --model runs/x/p_best --log runs/x/p_log.csv \
 *     --state runs/x/p_state --data ../shared/data/fer2013.csv.gz --quantize float16 \
 *     --engine "wasm-threaded, 2 cores" --recipe "Adam 1e-3, CosineDecay ..." [--notes TEXT]
 *
 * PrivateTest is reported, never used to choose: the model given here must already be the
 * one chosen on PublicTest (ModelCheckpoint monitoring val_acc).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import { EMOTIONS } from '../src/data/emotions';
import { PRETRAINED_MODEL_DIR } from '../src/io/pretrained';
import { parseTrainingLog } from '../src/evaluation/report';
import { readTrainStateMeta } from '../src/training/train-state';
import { writeFileAtomic } from '../src/files/atomic';

interface SplitJson {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  confusion: number[][];
}

const flags = new Command()
  .requiredOption('--model <dir>', 'the model chosen on PublicTest (tfjs folder)')
  .requiredOption('--log <csv>', 'its CSVLogger log')
  .requiredOption('--state <dir>', 'its resume state (steps, wall time, seed)')
  .requiredOption('--data <csv>', 'the full FER2013 CSV')
  .option('--quantize <dtype>', 'float16 or uint8 (see bench/quantize.ts)', 'float16')
  .option('--batch_size <n>', 'training batch size', '32')
  .requiredOption('--engine <text>', 'backend and machine the training ran on')
  .requiredOption('--recipe <text>', 'the training recipe, in words')
  .option('--notes <text>', 'anything else worth saying on the card')
  .option('--warm_start <text>', 'the model the run started from, in words (its epochs go in --warm_start_epochs)')
  .option('--warm_start_epochs <n>', 'epochs the starting weights had already been trained', '0')
  .option('--out <dir>', 'where the shipped model goes', PRETRAINED_MODEL_DIR)
  .parse()
  .opts();

const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
const facial = (...args: string[]) =>
  execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

function main(): void {
  const out = path.resolve(flags.out);
  // --force: the folder holds the previous model's MODEL_CARD.md, which this script rewrites below.
  process.stderr.write(
    facial('export', '--model_weights', flags.model, '--out', out, '--quantize', flags.quantize, '--shard_mb', '4', '--force'),
  );
  // One pass gives both tables: the seed's (plain) at the top level and the flip-averaged one under `flip`.
  const { flip, ...full } = JSON.parse(facial('verify', '--model_weights', out, '--data', flags.data, '--tta', 'flip', '--json')) as Record<
    string,
    SplitJson
  > & { flip: Record<string, SplitJson> };
  const sample = JSON.parse(
    facial(
      'verify',
      '--model_weights',
      out,
      '--data',
      path.join(__dirname, '..', 'data', 'fer2013-sample.csv.gz'),
      '--splits',
      'test',
      '--json',
    ),
  ) as Record<string, SplitJson>;
  const sampleTest = sample.Testing;
  const sampleCorrect = sampleTest.confusion.reduce((s, row, i) => s + row[i], 0);
  const sampleTotal = sampleTest.confusion.flat().reduce((a, b) => a + b, 0);
  const log = parseTrainingLog(fs.readFileSync(flags.log, 'utf8'), flags.log);
  const state = readTrainStateMeta(flags.state);
  const batch = Number(flags.batch_size);
  const images = state.step * batch;
  const minutes = state.elapsedMs / 60_000;
  const warmEpochs = Number(flags.warm_start_epochs);
  if (!(warmEpochs >= 0)) throw new Error(`--warm_start_epochs must be a number >= 0, got '${flags.warm_start_epochs}'`);
  const bestEpoch = log.reduce((b, r) => (r.val_acc > b.val_acc ? r : b), log[0]);
  // The chosen checkpoint is the end of its epoch: the epochs after it in the log did not shape it.
  const runEpochs = Math.min(images / 28709, bestEpoch.epoch + 1);
  const files = fs.readdirSync(out).sort();
  const mib = files.reduce((s, f) => s + fs.statSync(path.join(out, f)).size, 0) / 2 ** 20;

  const row = (name: string, r: SplitJson) =>
    `| ${name.padEnd(10)} | ${r.accuracy.toFixed(2)} | ${r.precision.toFixed(2)} | ${r.recall.toFixed(2)} | ${r.f1.toFixed(2)} |`;
  const test = full.Testing;
  const recall = test.confusion.map(
    (r, i) =>
      (100 * r[i]) /
      Math.max(
        1,
        r.reduce((a, b) => a + b, 0),
      ),
  );
  const card = `# Model card: fer2013-resnet50-48

raghakot's any-size ResNet-50 (\`resnet50AnySize\`, 48x48x1 input, 7-way softmax), trained by
facial-resnet on FER2013 and shipped in this folder as a TensorFlow.js model (${flags.quantize}
weights in ${files.length - 1} shards, ${mib.toFixed(1)} MiB). It uses standard tfjs layer classes
only: plain \`tf.loadLayersModel\` reads it in Node or a browser (see examples/browser/).

## Data and splits
FER2013 (Kaggle's fer2013.csv): Training (28,709 faces) trained on, PublicTest (3,589) used to
choose the checkpoint (best val_acc, epoch ${bestEpoch.epoch + 1}), PrivateTest (3,589) reported once, never
used to choose. Input: the 48x48 grey face as stored, \`x / 255 - 0.5\`.

## Training
- Recipe: ${flags.recipe}
- Epochs in all: ${(warmEpochs + runEpochs).toFixed(2)}${warmEpochs > 0 ? ` (${warmEpochs} before this run, ${runEpochs.toFixed(2)} in it)` : ''}.
${flags.warm_start ? `- Warm start: ${flags.warm_start}\n` : ''}- Batch ${batch}, seed ${state.seed}; ${images.toLocaleString('en-US')} images seen in this run so far (${(images / 28709).toFixed(2)} epochs) in ${minutes.toFixed(0)} minutes of wall time (${(images / (state.elapsedMs / 1000)).toFixed(1)} images/s).
- Engine: ${flags.engine}.
${flags.notes ? `- ${flags.notes}\n` : ''}
PublicTest accuracy per epoch (from the run's CSV log; the last epoch may be partial, cut by the time budget):

| epoch | loss | acc | val_loss | val_acc | lr at epoch start |
|---|---|---|---|---|---|
${log.map((r) => `| ${r.epoch + 1} | ${r.loss.toFixed(4)} | ${(100 * r.acc).toFixed(2)} | ${r.val_loss.toFixed(4)} | ${(100 * r.val_acc).toFixed(2)} | ${r.lr.toPrecision(3)} |`).join('\n')}

## Results (\`facial verify\`, the seed's table, macro averages, percent)

|            | Accuracy | Precision | Recall | F1    |
|------------|----------|-----------|--------|-------|
${row('Training', full.Training)}
${row('Validation', full.Validation)}
${row('Testing', full.Testing)}

With flip averaging (\`--tta flip\`: each face and its mirror, twice the inference; what
\`facial predict\` and \`loadPretrained().classify\` do by default):

|            | Accuracy | Precision | Recall | F1    |
|------------|----------|-----------|--------|-------|
${row('Training', flip.Training)}
${row('Validation', flip.Validation)}
${row('Testing', flip.Testing)}

Recall per class on PrivateTest: ${EMOTIONS.map((e, i) => `${e} ${recall[i].toFixed(1)}`).join(', ')}.

Confusion matrix on PrivateTest (rows: true class, columns: predicted, in the order ${EMOTIONS.join(', ')}):

\`\`\`
${test.confusion.map((r, i) => `${EMOTIONS[i].padEnd(8)} ${r.map((v) => String(v).padStart(4)).join(' ')}`).join('\n')}
\`\`\`

For comparison, measured on the same 3,589 PrivateTest faces: @vladmandic/human's emotion model
66.6%, @vladmandic/face-api's FaceExpressionNet 58.9%; the seed reported 64.53% (200 px) and
65.56% (48 px, a checkpoint chosen on PrivateTest itself).

Embedded sample check: on the PrivateTest rows of data/fer2013-sample.csv.gz the model scores
${sampleCorrect} of ${sampleTotal} (${((100 * sampleCorrect) / sampleTotal).toFixed(2)}%). test/io/pretrained.test.ts asserts exactly this, so a broken or
swapped model file fails the tests.

## What it is not good for
- The model itself reads only 48x48 grey face crops framed as FER2013's (face centred, filling
  the frame); given a whole photo its answer means nothing. \`facial predict\` and
  \`predictFaces\` find the faces first (MediaPipe's BlazeFace "back" detector) and frame each as
  FER2013 does; the README's pasted-faces check measures what that costs on FER2013's own faces,
  not on real photos of faces in profile, half hidden or far away.
- FER2013's labels are noisy (human agreement on them is about 65%), its faces are mostly
  Western, web-scraped and posed, and Disgust has 436 training faces (1.5%): its recall is the
  weakest. Do not use it to judge people: emotion from a face is not a fact about a person.
- Rebuilt with \`npx ts-node scripts/ship-model.ts\` (this card included) from a training run.
`;
  writeFileAtomic(path.join(out, 'MODEL_CARD.md'), card);
  process.stdout.write(card);
}

main();
