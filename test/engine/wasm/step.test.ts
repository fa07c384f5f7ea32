/** One training step on wasm equals cpu: the small model and raghakot's ResNet-50 (see helpers/step-compare.ts). */
import { test } from 'node:test';
import { compareStep, smallModel } from '../../helpers/step-compare';
import { resnet50AnySize } from '../../../src/resnet50-anysize';

test('small conv/BN/pool/add/dense model: one step on wasm equals cpu', async () => {
  await compareStep(() => smallModel(3), [3, 13, 13, 3], { loss: 1e-5, grad: 1e-3, floor: 1e-6 });
});

test('resnet50AnySize at 32x32, batch 2: one step on wasm equals cpu', async () => {
  await compareStep(() => resnet50AnySize({ inputShape: [32, 32, 1], seed: 3 }), [2, 32, 32, 1], { loss: 5e-3, grad: 5e-2, floor: 1e-2 });
});
