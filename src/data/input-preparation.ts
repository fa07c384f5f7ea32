/**
 * How FER2013's 48x48 faces become a model's input at a given side: the seed's rule, in one
 * place. It imports nothing heavier than the emotion constants, so the webcam page (which
 * cannot load models/registry and its tfjs-layers builders) shares it with training, verify
 * and predict.
 */
import { FER_SIZE } from './emotions';
import type { ResampleFilter } from './resize';

/** How FER2013's 48x48 faces are turned into a model's input at a given side. */
export interface InputPreparation {
  /** Side to resize to; undefined at 48 (the faces as stored). */
  resize?: number;
  /** Bytescale each face before resizing, as the seed's scipy imresize did. */
  stretch: boolean;
  /** Keep uint8 faces and prepare per batch (needed above 48: full 200x200 tensors are 5 GiB). */
  compact: boolean;
  /**
   * PIL's filter for shrinking a larger picture's face to this side (predict, the webcam page,
   * fine-tuning's photos). At 48, Lanczos: of PIL's five filters it brings a face enlarged 1.5 to
   * 5 times back closest to its 48x48 original (mean RMS 4.5 grey levels against bilinear's
   * 6.8), and on PublicTest's faces cut that way (scripts/pasted-faces.ts) it cost the long
   * run's epoch 12 0.19 points against its crops where bilinear cost 0.97, and left the shipped
   * model 1.0 above its crops. Elsewhere the seed's imresize, bilinear.
   */
  shrink: ResampleFilter;
}

/**
 * The seed's rule, used by training, verify, predict and the webcam page alike: at 48 the
 * faces as stored (no resize, so no stretch); any other side resizes with the bytescale stretch.
 */
export function inputPreparation(size: number): InputPreparation {
  return size === FER_SIZE
    ? { stretch: false, compact: false, shrink: 'lanczos' }
    : { resize: size, stretch: true, compact: true, shrink: 'bilinear' };
}
