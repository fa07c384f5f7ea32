/**
 * Port of train_resnet_imgsize48.py: raghakot's any-size ResNet-50 at 48x48 (no resize, no
 * stretch), Adam lr 1e-3, batch 100, up to 200 epochs, ReduceLROnPlateau(sqrt(0.1), patience 5,
 * min_lr 0.5e-6), best checkpoint, width/height shift 0.1 + horizontal flip.
 * Unlike the seed, it validates (and so picks the checkpoint and LR schedule) on PublicTest,
 * never on the test split; PrivateTest is only scored once in the final table.
 *
 *   npx ts-node examples/train_resnet50_imgsize48.ts [--model_weights W] [--save_prefix P] [--epochs 200] [--data CSV] [--limit N]
 */
import { runRecipe } from './run-recipe';

runRecipe('train_resnet50_imgsize48');
