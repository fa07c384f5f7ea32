/**
 * facial-resnet: train and use ResNet-50 facial-expression classifiers on FER2013
 * with TensorFlow.js. This module is the public API; each name lives in a file of its own.
 */
export * from './data/emotions';
export * from './engine/select';
export * from './facial';
export * from './data/fer-csv';
export * from './data/resize';
export * from './data/preprocess';
export * from './data/image-io';
export * from './resnet50';
export * from './resnet50-anysize';
export * from './models/regularizers';
export * from './io/keras-h5';
export * from './io/model-io';
export * from './train';
export * from './data/image-generator';
export * from './data/image-transform';
export * from './training/callbacks';
export * from './data/data-source';
export * from './training/progress';
export * from './metrics';
export * from './evaluation/verify';
export * from './evaluation/predict';
export * from './io/trained-model';
export * from './evaluation/report';
export * from './evaluation/report-charts';
export * from './training/schedules';
