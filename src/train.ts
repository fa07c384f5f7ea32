/** The training loop (training issue #4 fills this in). */

/** Keras-style history returned by trainResnet50. */
export interface TrainHistory {
  history: { loss: number[]; acc: number[]; val_loss: number[]; val_acc: number[]; lr: number[] };
}

/** Trains a ResNet-50 on `data`. */
export async function trainResnet50(_data: unknown, _opts: Record<string, unknown> = {}): Promise<TrainHistory> {
  throw new Error('trainResnet50: not implemented yet');
}
