/**
 * Port of train_resnet50_imagegen.py: Keras ResNet50 at 200x200 from the folders
 * `facial preprocess` writes (facial_imgs/train_dir, validation_dir), augmented with
 * shear 0.2 (degrees, Keras >= 2.1.3), zoom 0.2 (zx, zy independent), horizontal flip,
 * fill nearest, then x/255 - 0.5; SGD lr 0.01, batch 50, 50 epochs.
 *
 *   npx ts-node examples/train_resnet50_imagegen.ts [--data facial_imgs] [--model_weights W] [--save_prefix P] [--epochs 50]
 *
 * --data may also be a FER2013 CSV: the same augmentation is then applied to Facial batches.
 */
import { runRecipe } from './run-recipe';

runRecipe('train_resnet50_imagegen', 'folder with train_dir/ and validation_dir/ (default facial_imgs), or a CSV');
