/**
 * Port of train_resnet50.py: Keras ResNet50 (+ the seed's head) at 200x200, in memory
 * (compact: resized per batch), plain SGD lr 0.01, batch 50, 30 epochs, checkpoint on
 * val_loss (PublicTest), saves {prefix}_model.json and {prefix}_weights.h5.
 *
 *   npx ts-node examples/train_resnet50.ts [--model_weights W] [--save_prefix resnet50] [--epochs 30] [--data CSV] [--limit N]
 */
import { runRecipe } from './run-recipe';

runRecipe('train_resnet50');
