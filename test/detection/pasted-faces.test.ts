/**
 * The pasted-faces check on the embedded sample (PublicTest and PrivateTest, 112 faces): pasted
 * at random positions and sizes into 640x480 backgrounds, the faces must be found where they
 * were pasted, and, detected then classified by predictFaces, must not lose more faces against
 * the same faces classified as crops than chance explains (scripts/pasted-faces.ts runs it on
 * the full FER2013 for the README, where the 2-point bound of issue 19 applies).
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

test(
  'a face pasted at its own 48 pixels and cut where it was pasted scores as its crop (the resampled figure)',
  { timeout: 600_000 },
  async () => {
    const r = await pastedFacesCheck({ split: 'validation', faceSides: [48, 48] });
    assert.equal(r.faces, 56);
    assert.equal(r.resampled, r.crops);
  },
);

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

/** P(X >= k) for X ~ Binomial(n, 1/2): the one-sided sign test. */
function signTestTail(k: number, n: number): number {
  let term = 1; // C(n, 0)
  let tail = 0;
  for (let j = 0; j <= n; j++) {
    if (j >= k) tail += term;
    term = (term * (n - j)) / (j + 1);
  }
  return tail / 2 ** n;
}

test('the sign test tail, by hand', () => {
  assert.equal(signTestTail(0, 5), 1);
  assert.equal(signTestTail(5, 5), 1 / 32);
  assert.equal(signTestTail(4, 5), 6 / 32);
  assert.ok(Math.abs(signTestTail(13, 18) - 12616 / 262144) < 1e-15); // 8568 + 3060 + 816 + 153 + 18 + 1
});

// On 112 faces a 2-point bound (issue 19's, for the full splits) is 2 faces, finer than the
// sample's noise: with the 19.6-epoch model 18 of the 112 faces change answer between crop and
// picture (11 lost, 7 gained: -3.6 points; with the 16.6-epoch model 9 and 7), while on the
// full PublicTest and PrivateTest the pictures score within a point of the crops (README). So
// the sample is held to McNemar's sign test instead: the faces lost must not outnumber those
// gained beyond what a fair coin gives with probability 2.5%. That catches a gross defect
// (FER_FRAMING's scale doubled: 32 lost, 10 gained, tail 5e-4) but not a fine one (scale x1.3:
// 10 lost, 10 gained): those are for the full-split check (3,589 faces a split).
test(
  'pasted sample faces, detected then classified, lose no more faces than chance against their crops',
  { timeout: 600_000 },
  async (t) => {
    const r = await sample();
    const faces = r.reduce((n, x) => n + x.faces, 0);
    const lost = r.reduce((n, x) => n + x.lost, 0);
    const gained = r.reduce((n, x) => n + x.gained, 0);
    const pooled = (k: 'crops' | 'pasted') => r.reduce((n, x) => n + x[k] * x.faces, 0) / faces;
    const tail = signTestTail(lost, lost + gained);
    t.diagnostic(
      `crops ${pooled('crops').toFixed(2)}%, pasted ${pooled('pasted').toFixed(2)}%, lost ${lost}, gained ${gained}, tail ${tail.toPrecision(3)}`,
    );
    assert.ok(tail >= 0.025, `lost ${lost} faces and gained ${gained}: a sign-test tail of ${tail.toPrecision(3)}`);
  },
);
