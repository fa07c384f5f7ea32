/**
 * The augmentation recipes `--augment` names, as ImageDataGenerator configs: the seed's two and
 * the long run's. Beside the generator, below the models and the training that pick one.
 */
import type { ImageDataGeneratorConfig } from './image-generator';

/** The names of the augmentation recipes: the seed's two, and the long run's. */
export type AugmentationName = 'shift-flip' | 'shear-zoom-flip' | 'shift-rotate-zoom-flip-erase';

/** The seed's two augmentation recipes, and the long run's. */
export const AUGMENTATIONS: Record<AugmentationName, ImageDataGeneratorConfig> = {
  /** train_resnet_imgsize48.py */
  'shift-flip': { widthShiftRange: 0.1, heightShiftRange: 0.1, horizontalFlip: true },
  /** train_resnet50_imagegen.py (shear in degrees here; see data/image-generator.ts) */
  'shear-zoom-flip': { shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true },
  /**
   * The seed's shift + flip, with what FER2013 papers found worth it over tens of epochs:
   * rotation of +-10 degrees and zoom of +-10% (Khaireddin & Chen 2021; Pramerdorfer & Kampel
   * 2016), and random erasing with probability 0.5 (Zhong et al. 2017, kept by Khaireddin &
   * Chen) so no single region (a mouth, the eyes) is enough on its own. Erased pixels become 0,
   * mid-grey in the x/255 - 0.5 scale.
   */
  'shift-rotate-zoom-flip-erase': {
    rotationRange: 10,
    widthShiftRange: 0.1,
    heightShiftRange: 0.1,
    zoomRange: 0.1,
    horizontalFlip: true,
    randomErasing: { probability: 0.5 },
  },
};

/** True for a recipe name. */
export function isAugmentationName(x: unknown): x is AugmentationName {
  return typeof x === 'string' && x in AUGMENTATIONS;
}
