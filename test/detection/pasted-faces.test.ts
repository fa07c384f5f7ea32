/**
 * The pasted-faces check on the embedded sample (PublicTest and PrivateTest, 112 faces): pasted
 * at random positions and sizes into 640x480 backgrounds, the faces must be found where they
 * were pasted, and, detected then classified by predictFaces, score within 2 points of the
 * same faces classified as crops (issue 19; scripts/pasted-faces.ts runs it on the full FER2013
 * for the README). On 112 faces one face is 0.9 points: the seed is fixed, so the figure is too.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PastedFacesResult, foundAt, pastedFacesCheck } from '../../scripts/pasted-faces';

test('a face is found where it was pasted when its box is centred in the square, a quarter to 1.5 its side', () => {
  const square = { x1: 100, y1: 100, x2: 200, y2: 200 };
  assert.ok(foundAt({ x: 125, y: 125, width: 50, height: 50 }, square)); // half the side, centred: IoU 0.25, found
  assert.ok(foundAt({ x: 80, y: 90, width: 140, height: 140 }, square)); // a face cut by its crop: a box wider than the square
  assert.ok(!foundAt({ x: 190, y: 120, width: 50, height: 50 }, square)); // centre (215, 145) outside
  assert.ok(!foundAt({ x: 140, y: 140, width: 20, height: 20 }, square)); // a fifth of the side: something else
  assert.ok(!foundAt({ x: 40, y: 40, width: 220, height: 220 }, square)); // 2.2 sides: not this face's box
});

let runs: Promise<PastedFacesResult[]> | undefined;
/** Both sample splits, run once for the two tests. */
const sample = () =>
  (runs ??= (async () => [await pastedFacesCheck({ split: 'validation' }), await pastedFacesCheck({ split: 'test' })])());

test('pasted sample faces are found where they were pasted (at least 97%)', { timeout: 600_000 }, async (t) => {
  const r = await sample();
  const faces = r.reduce((n, x) => n + x.faces, 0);
  const found = r.reduce((n, x) => n + x.found, 0);
  t.diagnostic(`found ${found} of ${faces}`);
  assert.equal(faces, 112);
  assert.ok(found >= 0.97 * faces, `found only ${found} of ${faces}`);
});

test('pasted sample faces, detected then classified, score within 2 points of their crops', { timeout: 600_000 }, async (t) => {
  const r = await sample();
  const faces = r.reduce((n, x) => n + x.faces, 0);
  const pooled = (k: 'crops' | 'pasted') => r.reduce((n, x) => n + x[k] * x.faces, 0) / faces;
  t.diagnostic(`crops ${pooled('crops').toFixed(2)}%, pasted ${pooled('pasted').toFixed(2)}%`);
  assert.ok(
    Math.abs(pooled('pasted') - pooled('crops')) <= 2,
    `pasted ${pooled('pasted').toFixed(2)}% vs crops ${pooled('crops').toFixed(2)}%`,
  );
});
