/**
 * The model shipped in the package: raghakot's any-size ResNet-50 trained by this library on
 * FER2013 (48x48 grey faces), in `models/fer2013-resnet50-48/` with its model card (MODEL_CARD.md).
 * `facial predict` and `facial verify` use it when no model is named.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTrainedModel, TrainedModel } from './trained-model';
import { ImageInput, predict, PredictOptions, PredictResult } from '../evaluation/predict';
import type { Emotion } from '../data/emotions';

/** The shipped model, and a classifier over it. */
export interface PretrainedModel extends TrainedModel {
  /**
   * `predict(model, images, opts)` with flip averaging on unless `opts.tta` says otherwise: one
   * face costs milliseconds, so the default buys accuracy rather than speed.
   */
  classify(images: ImageInput[], opts?: PredictOptions): Promise<PredictResult<Emotion>[]>;
}

/** The shipped model's folder, resolved from the package root (works from src/ and dist/). */
export const PRETRAINED_MODEL_DIR = path.resolve(__dirname, '..', '..', 'models', 'fer2013-resnet50-48');

/** The shipped model's folder; an error naming it when the package was installed without it. */
export function pretrainedModelPath(): string {
  if (!fs.existsSync(path.join(PRETRAINED_MODEL_DIR, 'model.json'))) {
    throw new Error(
      `the shipped model is missing: ${PRETRAINED_MODEL_DIR}/model.json not found (reinstall facial-resnet, or pass a model)`,
    );
  }
  return PRETRAINED_MODEL_DIR;
}

/** The word that names the shipped model where a model path is expected (`--model_weights pretrained`). */
export const PRETRAINED = 'pretrained';

/** A model path as given, or the shipped model's folder for 'pretrained' (and no file of that name). */
export function resolveModelWeights(p: string): string {
  return p === PRETRAINED && !fs.existsSync(p) ? pretrainedModelPath() : p;
}

/**
 * Loads the shipped FER2013 model for inference: input [N, 48, 48, 1] of `x / 255 - 0.5`,
 * output the seven emotion probabilities in EMOTIONS order; `classify(images)` scores image
 * files or decoded images with flip averaging. The caller disposes `model`.
 */
export async function loadPretrained(): Promise<PretrainedModel> {
  const trained = await loadTrainedModel(pretrainedModelPath());
  return {
    ...trained,
    // The shipped model's classes are FER2013's seven, stored in its model.json in EMOTIONS order.
    classify: async (images, opts = {}) => (await predict(trained.model, images, { tta: 'flip', ...opts })) as PredictResult<Emotion>[],
  };
}
