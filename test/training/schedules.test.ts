import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CosineDecay } from '../../src/training/schedules';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('CosineDecay without warm-up follows Keras: peak * ((1 - alpha) * 0.5 * (1 + cos(pi t / T)) + alpha)', () => {
  const s = new CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 0.2 });
  close(s.learningRate(0, 0), 0.1);
  // t = 5 of 10: cos(pi/2) = 0 -> 0.1 * (0.8 * 0.5 + 0.2) = 0.06
  close(s.learningRate(5, 0), 0.06);
  // t = 10 and beyond: the floor alpha * peak
  close(s.learningRate(10, 0), 0.02);
  close(s.learningRate(25, 0), 0.02);
  // t = 2.5 of 10 would be cos(pi/4); at t = 2: 0.1 * (0.8 * 0.5 * (1 + cos(0.2 pi)) + 0.2)
  close(s.learningRate(2, 0), 0.1 * (0.8 * 0.5 * (1 + Math.cos(0.2 * Math.PI)) + 0.2));
});

test('CosineDecay warm-up rises linearly from initialLearningRate to warmupTarget, then decays over the rest', () => {
  const s = new CosineDecay({ initialLearningRate: 0, warmupTarget: 1e-3, warmupSteps: 4, decaySteps: 8 });
  assert.deepEqual(
    [0, 1, 2, 3].map((t) => s.learningRate(t, 0)),
    [0, 0.25e-3, 0.5e-3, 0.75e-3],
  );
  close(s.learningRate(4, 0), 1e-3);
  close(s.learningRate(8, 0), 0.5e-3); // 4 of 8 decay steps
  close(s.learningRate(12, 0), 0);
});

test("CosineDecay 'auto' decays over the steps the loop plans, less the warm-up", () => {
  const s = new CosineDecay({ initialLearningRate: 0, warmupTarget: 2, warmupSteps: 10 });
  close(s.learningRate(10, 110), 2);
  close(s.learningRate(60, 110), 1); // half-way through the 100 decay steps
  close(s.learningRate(110, 110), 0);
  // A longer plan (the budget measured more steps/s) stretches the curve.
  close(s.learningRate(60, 210), 2 * 0.5 * (1 + Math.cos((Math.PI * 50) / 200)));
});

test('CosineDecay rejects settings Keras would reject, naming the option', () => {
  assert.throws(() => new CosineDecay({ initialLearningRate: -1 }), /initialLearningRate/);
  assert.throws(() => new CosineDecay({ initialLearningRate: 1, alpha: 2 }), /alpha/);
  assert.throws(() => new CosineDecay({ initialLearningRate: 1, decaySteps: 0 }), /decaySteps/);
  assert.throws(() => new CosineDecay({ initialLearningRate: 1, warmupTarget: 1, warmupSteps: 1.5 }), /warmupSteps/);
});
