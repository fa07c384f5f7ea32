/**
 * writeReport writes every picture and an index.html that embeds and links them; the PNGs
 * decode at the sizes the chart functions draw; the CSVLogger parser rejects bad rows by line.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { parseTrainingLog, pickMisclassified, REPORT_FILES, writeReport } from '../../src/evaluation/report';
import { classificationReport } from '../../src/metrics';
import type { SplitEvaluation } from '../../src/evaluation/verify';

function evaluation(split: 'validation' | 'test', yTrue: number[], yPred: number[], confidence: number[]): SplitEvaluation {
  return {
    ...classificationReport(yTrue, yPred),
    split,
    yTrue: Uint8Array.from(yTrue),
    yPred: Uint8Array.from(yPred),
    confidence: Float32Array.from(confidence),
    seconds: 0.5,
    imagesPerSecond: yTrue.length / 0.5,
  };
}

const LOG = `epoch,acc,loss,lr,val_acc,val_loss
0,0.25,1.90,0.001,0.30,1.80
1,0.40,1.55,0.001,0.38,1.62
2,0.52,1.30,0.000316,0.45,1.50
`;

test('parseTrainingLog reads CSVLogger columns in any order and names the bad line', () => {
  const rows = parseTrainingLog(LOG, 'training.csv');
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[2], { epoch: 2, loss: 1.3, acc: 0.52, val_loss: 1.5, val_acc: 0.45, lr: 0.000316 });
  // Newer Keras names (accuracy, val_accuracy) and no lr column.
  const modern = parseTrainingLog('epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.2,0.4,1.4\n');
  assert.equal(modern[0].acc, 0.5);
  assert.ok(Number.isNaN(modern[0].lr));
  assert.throws(() => parseTrainingLog(LOG + '3,0.6,oops,0.0001,0.5,1.4\n', 'training.csv'), /training\.csv:5: column loss is 'oops'/);
  assert.throws(() => parseTrainingLog('a,b\n1,2\n', 'x.csv'), /x\.csv:1: expected a CSVLogger header/);
});

test('pickMisclassified: most confident mistakes first, with their own 48x48 pixels', () => {
  const ev = evaluation('test', [0, 1, 2, 3], [0, 2, 1, 3], [0.9, 0.4, 0.8, 0.7]);
  const pixels = new Uint8Array(4 * 2304).map((_, i) => Math.floor(i / 2304) * 50);
  const faces = pickMisclassified(ev, { pixels });
  assert.deepEqual(
    faces.map((f) => [f.trueLabel, f.predLabel]),
    [
      [2, 1],
      [1, 2],
    ],
  );
  assert.equal(faces[0].pixels[0], 100); // image 2
  assert.equal(faces[1].pixels[2303], 50); // image 1
});

test('writeReport writes the PNGs and an index.html that embeds and links each of them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-report-'));
  try {
    const yTrue = [0, 0, 1, 2, 3, 3, 3, 4, 5, 6, 6, 2, 4];
    const yPred = [0, 3, 0, 2, 3, 3, 6, 4, 5, 6, 3, 4, 4];
    const conf = yTrue.map((_, i) => 0.3 + i / 40);
    const results = { validation: evaluation('validation', yTrue, yTrue, conf), test: evaluation('test', yTrue, yPred, conf) };
    const pixels = new Uint8Array(yTrue.length * 2304).map((_, i) => (i * 7) % 256);
    const raw = { pixels, lines: new Uint32Array(yTrue.length) };
    const faces = { raw: (s: string) => (s === 'test' ? raw : null) };
    const out = path.join(dir, 'nested', 'report');
    const written = await writeReport(out, {
      results,
      log: parseTrainingLog(LOG),
      logPath: 'training.csv',
      faces,
      details: { model: 'tiny<model>' },
    });
    const expectedFiles = [REPORT_FILES.curves, REPORT_FILES.confusion, REPORT_FILES.classes, REPORT_FILES.faces, REPORT_FILES.html];
    assert.deepEqual(written.map((f) => path.basename(f)).sort(), [...expectedFiles].sort());
    assert.deepEqual(fs.readdirSync(out).sort(), [...expectedFiles].sort(), 'no temporary files left behind');
    const sizes: Record<string, [number, number]> = {
      [REPORT_FILES.curves]: [1260, 320],
      [REPORT_FILES.confusion]: [634, 644],
      [REPORT_FILES.classes]: [760, 360],
      // 5 mistakes, 5 columns of 128 px + 8 padding; one row of 120 + 36 caption + 8 under a 34 px title.
      [REPORT_FILES.faces]: [8 + 5 * 128, 34 + 164 + 8],
    };
    const html = fs.readFileSync(path.join(out, REPORT_FILES.html), 'utf8');
    for (const [file, [w, h]] of Object.entries(sizes)) {
      const bytes = fs.readFileSync(path.join(out, file));
      const png = PNG.sync.read(bytes);
      assert.deepEqual([png.width, png.height], [w, h], file);
      assert.ok(html.includes(`href="${file}"`), `index.html links ${file}`);
      assert.ok(html.includes(`data:image/png;base64,${bytes.toString('base64')}`), `index.html embeds ${file} byte for byte`);
    }
    // The table shows both splits in percent, and text is escaped.
    assert.match(html, /<th>Testing<\/th><td>61\.54<\/td>/); // 8 of 13 right
    assert.match(html, /<th>Validation<\/th><td>100\.00<\/td>/);
    assert.ok(html.includes('tiny&lt;model&gt;'));
    // The confusion-matrix PNG is not blank: its cells are shaded.
    const cm = PNG.sync.read(fs.readFileSync(path.join(out, REPORT_FILES.confusion)));
    const distinct = new Set<number>();
    for (let i = 0; i < cm.data.length; i += 4) distinct.add((cm.data[i] << 16) | (cm.data[i + 1] << 8) | cm.data[i + 2]);
    assert.ok(distinct.size > 20, `confusion matrix has only ${distinct.size} colours`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without a log or faces the report leaves those pictures out', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-report-'));
  try {
    const results = { test: evaluation('test', [0, 1, 2], [0, 1, 1], [0.5, 0.5, 0.5]) };
    const written = await writeReport(dir, { results });
    assert.deepEqual(written.map((f) => path.basename(f)).sort(), [REPORT_FILES.classes, REPORT_FILES.confusion, REPORT_FILES.html].sort());
    const html = fs.readFileSync(path.join(dir, REPORT_FILES.html), 'utf8');
    assert.ok(!html.includes(REPORT_FILES.curves));
    assert.match(html, /Never predicted on Testing \(precision counted as 0, as scikit-learn\): Fear, Happy, Sad, Surprise, Neutral\./);
    assert.match(html, /No true images of Happy, Sad, Surprise, Neutral/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
