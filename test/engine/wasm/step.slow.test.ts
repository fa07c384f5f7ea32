/** One training step of the Keras-style ResNet-50 on wasm equals cpu (the slow tier: ~8 minutes). */
import { test } from 'node:test';
import { compareStep } from '../../helpers/step-compare';
import { resnet50 } from '../../../src/resnet50';

// The Keras-style model needs at least 197 px (its fixed 7x7 avg_pool), which makes the cpu
// side of this comparison the slowest test in the suite (~8 minutes on 2 cores, nearly all of
// it tfjs's pure-JS cpu kernels); batch 1 is the least it can be. Worth it: it is the only
// check that the conv_block's strided 1x1 branches and post-activation BN train right on wasm.
test('Keras-style resnet50 at 197x197, batch 1: one step on wasm equals cpu', async () => {
  await compareStep(() => resnet50({ inputShape: [197, 197, 1], includeTop: true, classes: 7, seed: 4 }), [1, 197, 197, 1], {
    loss: 5e-3,
    grad: 5e-2,
    floor: 1e-2,
  });
});
