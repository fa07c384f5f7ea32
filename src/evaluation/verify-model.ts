/**
 * verify_model.py as a library call: loads a trained model (tfjs folder or .json, or a Keras
 * .h5 rebuilt by the model registry; the shipped model by default), loads FER2013 the way
 * that model was trained (data/input-preparation.ts) and scores the splits. `data`
 * may also be a folder of your own labelled photos (data/face-folder.ts), scored by the names
 * of the model's classes.
 */
import { Facial } from '../facial';
import { SplitName, USAGE_OF_SPLIT } from '../data/fer-csv';
import { inputPreparation } from '../data/input-preparation';
import type { ModelKind } from '../models/registry';
import { isKerasWeightsFile, loadTrainedModel, TrainedModel } from '../io/trained-model';
import { pretrainedModelPath } from '../io/pretrained';
import { ALL_SPLITS, evaluateModel, EvaluationResults, SPLIT_TITLES } from './verify';
import type { TestTimeAugmentation } from '../models/tta';
import { FaceFolder, FaceFolderData, isPhotoFolder, loadFaceFolder } from '../data/face-folder';
import { classNamesOf } from '../models/fine-tune';

/** Options of verifyModel. */
export interface VerifyModelOptions {
  /** A tfjs model folder / model.json or a Keras .h5 (default: the shipped model). */
  model?: string;
  /** Input side of a .h5 model (default 200), or a check on a tfjs model's. */
  imageSize?: number;
  /** Architecture of a .h5 model (default by imageSize). */
  modelKind?: ModelKind;
  /**
   * FER2013 CSV (default fer2013/fer2013.csv, else the embedded sample), or a folder of labelled
   * photos: its train/, validation/ and test/ (or, without them, the whole folder as Testing),
   * each class folder named as one of the model's classes.
   */
  data?: string;
  /** A folder of photos: find the face in each (default true); false for folders of face crops. */
  detect?: boolean;
  /** At most this many rows per split. */
  limit?: number;
  splits?: SplitName[];
  batchSize?: number;
  /** 'flip': results averaged over each face and its mirror, each split's `plain` without (see evaluateModel). */
  tta?: TestTimeAugmentation;
  onBatch?: (split: SplitName, done: number, total: number) => void;
  /** Where notes go (an ignored architecture, an empty split); default stderr. */
  log?: (message: string) => void;
}

/** What verifyModel produced; the caller disposes `trained.model` and `facial`. */
export interface VerifyModelRun {
  trained: TrainedModel;
  /** The faces scored: FER2013's, or a folder's. */
  facial: Facial | FaceFolder;
  /** The model's classes, in output order (models/fine-tune.ts classNamesOf). */
  classNames: string[];
  /** A folder of photos: what was found and skipped (null for FER2013). */
  photos: FaceFolderData | null;
  /** The splits that had rows (an empty one is left out, with a note). */
  results: EvaluationResults;
}

/** Scores a trained model on FER2013 as the seed's verify_model.py did. */
export async function verifyModel(opts: VerifyModelOptions = {}): Promise<VerifyModelRun> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`facial: ${m}\n`));
  const modelPath = opts.model ?? pretrainedModelPath();
  if (opts.modelKind && !isKerasWeightsFile(modelPath)) log(`the architecture ${opts.modelKind} is ignored: ${modelPath} carries its own`);
  const trained = await loadTrainedModel(modelPath, { imageSize: opts.imageSize, model: opts.modelKind });
  const classNames = classNamesOf(trained.model);
  if (isPhotoFolder(opts.data)) return verifyOnFolder(opts.data, trained, classNames, opts, log);
  const requested = opts.splits ?? ALL_SPLITS;
  let facial: Facial;
  try {
    facial = await Facial.load({
      csvPath: opts.data,
      resize: inputPreparation(trained.imageSize).resize,
      compact: true,
      limit: opts.limit,
      splits: requested,
    });
  } catch (err) {
    trained.model.dispose();
    throw err;
  }
  // A split with no rows would print 0.00 everywhere: say it is empty and leave it out.
  const splits = requested.filter((s) => facial.count(s) > 0);
  for (const s of requested) {
    if (facial.count(s) === 0) log(`${facial.csvPath} has no ${SPLIT_TITLES[s]} rows (Usage ${USAGE_OF_SPLIT[s]}); left out`);
  }
  if (splits.length === 0) {
    trained.model.dispose();
    facial.dispose();
    throw new Error(`${facial.csvPath}: none of the splits ${requested.join(', ')} has any rows`);
  }
  const results = await evaluateModel(trained.model, facial, splits, { batchSize: opts.batchSize, onBatch: opts.onBatch, tta: opts.tta });
  return { trained, facial, results, classNames, photos: null };
}

/** verifyModel on a folder of labelled photos. */
async function verifyOnFolder(
  dir: string,
  trained: TrainedModel,
  classNames: string[],
  opts: VerifyModelOptions,
  log: (m: string) => void,
): Promise<VerifyModelRun> {
  let photos: FaceFolderData;
  try {
    photos = await loadFaceFolder(dir, { classNames, flatSplit: 'test', validationSplit: 0, size: trained.imageSize, detect: opts.detect });
  } catch (err) {
    trained.model.dispose();
    throw err;
  }
  log(photos.summary);
  for (const s of photos.skipped) log(`skipped ${s.file}: ${s.reason}`);
  const splits = (opts.splits ?? ALL_SPLITS).filter((s) => photos.folder.count(s) > 0);
  if (splits.length === 0) {
    trained.model.dispose();
    throw new Error(`${dir}: none of the splits ${(opts.splits ?? ALL_SPLITS).join(', ')} has any faces`);
  }
  const results = await evaluateModel(trained.model, photos.folder, splits, {
    batchSize: opts.batchSize,
    onBatch: opts.onBatch,
    tta: opts.tta,
  });
  return { trained, facial: photos.folder, results, classNames, photos };
}
