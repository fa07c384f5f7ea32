/** The FER2013 dataset class (foundation issue #2 fills this in). */
import * as tf from '@tensorflow/tfjs';

/** A FER2013 split, in this library's names (Training, PublicTest, PrivateTest). */
export type SplitName = 'train' | 'validation' | 'test';

/** Options for `new Facial()` and `Facial.load()`. */
export interface FacialOptions {
  csvPath?: string;
  resize?: number;
  stretch?: boolean;
  splits?: SplitName[];
  limit?: number;
  skipBadRows?: boolean;
  compact?: boolean;
}

/** FER2013 in memory, as setup_facial.py's FACIAL class. */
export class Facial {
  trainData: tf.Tensor4D | null = null;
  trainLabels: tf.Tensor2D | null = null;
  validationData: tf.Tensor4D | null = null;
  validationLabels: tf.Tensor2D | null = null;
  testData: tf.Tensor4D | null = null;
  testLabels: tf.Tensor2D | null = null;
  constructor(_options: FacialOptions = {}) {
    throw new Error('Facial: not implemented yet');
  }
  static async load(options: FacialOptions = {}): Promise<Facial> {
    return new Facial(options);
  }
  dispose(): void {}
}
