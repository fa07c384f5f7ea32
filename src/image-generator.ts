/** Keras's ImageDataGenerator (training issue #4 fills this in). */

/** Keras-style image augmentation and batching. */
export class ImageDataGenerator {
  constructor(_config: Record<string, unknown> = {}) {}
}
