/**
 * facial-resnet: train and use ResNet-50 facial-expression classifiers on FER2013 with
 * TensorFlow.js. This is the public API, listed name by name: what a user needs to load the
 * data, build, train, save, load, score and use the models. Internals (kernels, file-format
 * helpers, the CLI) are not exported; they stay free to change.
 */

// Data: FER2013, the seed's resize, images, augmentation, batch sources, class folders.
export { EMOTIONS, Emotion, NUM_CLASSES, FER_SIZE } from './data/emotions';
export { Facial, FacialOptions, DEFAULT_CSV_PATH, SAMPLE_CSV_PATH } from './facial';
export {
  SplitName,
  SPLITS,
  FerCsvError,
  FerCsvOptions,
  FerCsvData,
  FerSplitRaw,
  SkippedRows,
  readFerCsv,
  readFerCsvSync,
} from './data/fer-csv';
export { bytescale, resizeBilinear, resizeInto, ResampleFilter, prepareFace } from './data/resize';
export { preprocessToFolders, PreprocessOptions, PreprocessResult } from './data/preprocess';
export { RawImage, decodeImage, readImage, toGrayscale, encodeGrayPng } from './data/image-io';
export {
  ImageDataGenerator,
  ImageDataGeneratorConfig,
  ResolvedGeneratorConfig,
  FlowOptions,
  DirectoryFlowOptions,
  ArrayFlow,
  DirectoryFlow,
  PreprocessingFunction,
  FillMode,
  RandomErasingConfig,
  TransformParams,
} from './data/image-generator';
export {
  Batch,
  ArrayBatch,
  SourceBatch,
  toBatch,
  isArrayBatch,
  BatchingOptions,
  DataSource,
  FacialLike,
  fromFacial,
  fromTensors,
  fromDataset,
} from './data/data-source';
export {
  loadFaceFolder,
  folderClassNames,
  FaceFolder,
  FaceFolderOptions,
  FaceFolderData,
  FolderSplit,
  SkippedPhoto,
} from './data/face-folder';
export { FaceSearchOptions } from './data/face-cache';

// Models: the two ResNet-50s, the table that describes them, their layers.
export { resnet50, ResNet50Options, RESNET50_MIN_SIZE } from './resnet50';
export { resnet50AnySize, ResNet50AnySizeOptions } from './resnet50-anysize';
export { MODELS, MODEL_KINDS, ModelKind, ModelSpec, modelSpec } from './models/registry';
export { inputPreparation, InputPreparation } from './data/input-preparation';
export { L1L2, L1L2Args, l2 } from './models/regularizers';
export { compileForInference, InferenceModel } from './models/inference';
export { classNamesOf, setClassNames, withClassHead, earlyStageLayers } from './models/fine-tune';

// Training: the loop, its callbacks and schedules, the seed's recipes.
export {
  trainResnet50,
  TrainOptions,
  TrainResult,
  TrainHistory,
  TrainData,
  TrainingDivergedError,
  TrainingInterruptedError,
  DeviceFailedError,
} from './train';
export { makeOptimizer, getLearningRate, setLearningRate } from './training/optimizers';
export { balancedClassWeights } from './training/loss';
export { RunSettings } from './training/train-state';
export {
  Callback,
  Logs,
  MonitorMode,
  ModelSaver,
  TrainingContext,
  ModelCheckpoint,
  ModelCheckpointConfig,
  ReduceLROnPlateau,
  ReduceLROnPlateauConfig,
  EarlyStopping,
  EarlyStoppingConfig,
  CSVLogger,
  TerminateOnNaN,
  CustomCallbackArgs,
} from './training/callbacks';
export { CosineDecay, CosineDecayConfig, LearningRateSchedule } from './training/schedules';
export { trainOnFer2013, Fer2013TrainOptions, Fer2013TrainRun } from './training/fer2013-run';
export { SEED_RECIPES } from './training/recipes';
export { AUGMENTATIONS, AugmentationName } from './data/augmentations';

// Files: Keras .h5 weights, tfjs model folders (quantized, sharded), trained and shipped models.
export { loadKerasWeights, saveKerasWeights, LoadKerasWeightsOptions, KerasWeightsLoadResult } from './io/keras-h5';
export { loadModel, saveModel, SaveOptions } from './io/model-io';
export { QuantizeDtype } from './io/quantize';
export { loadTrainedModel, TrainedModel, TrainedModelOptions } from './io/trained-model';
export { loadPretrained, PretrainedModel, PRETRAINED_MODEL_DIR, PRETRAINED } from './io/pretrained';

// Evaluation: the seed's table, prediction on image files, the HTML report.
export {
  classificationReport,
  ClassificationReport,
  ClassScores,
  AveragedScores,
  formatClassificationReport,
  formatConfusionMatrix,
} from './metrics';
export { evaluateModel, EvaluateOptions, EvaluationData, EvaluationResults, SplitEvaluation, formatSeedTable } from './evaluation/verify';
export { verifyModel, VerifyModelOptions, VerifyModelRun } from './evaluation/verify-model';
export { predict, PredictResult, PredictOptions, Prediction, PredictFailure, ImageInput } from './evaluation/predict';
export { predictFaces, PredictFacesOptions, FacePredictResult, ImageFaces, FacePrediction } from './evaluation/predict-faces';
export { annotateImage } from './evaluation/annotate';
export { TestTimeAugmentation, TTA_MODES, Predictor, withTestTimeAugmentation } from './models/tta';
export { writeReport, readTrainingLog, ReportInputs, TrainingLogRow } from './evaluation/report';
export { benchmarkCase, BenchCase, BenchResult, BENCH_CASES } from './evaluation/benchmark';

// Face detection: BlazeFace (weights from @vladmandic/human), our decoding, FER2013's framing.
export { detectFaces, FaceDetector, DetectedFace, DetectOptions, blazeFaceModelPath } from './detection/detector';
export { RawFace, DecodeOptions } from './detection/decode';
export { Corners } from './detection/nms';
export { SearchOptions } from './detection/faces';
export { FER_FRAMING, Framing, Box, Square, ferFrame, cropSquare } from './detection/framing';

// Engines: choosing the backend.
export { selectBackend, SelectBackendOptions, BackendInfo, BACKEND_NAMES, BackendName } from './engine/select';
