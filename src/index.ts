/**
 * facial-resnet: train and use ResNet-50 facial-expression classifiers on FER2013
 * with TensorFlow.js. This module is the public API; each name lives in a file of its own.
 */
export * from './emotions';
export * from './backend';
export * from './facial';
export * from './fer-csv';
export * from './resize';
export * from './preprocess';
export * from './image-io';
export * from './resnet50';
export * from './resnet50-anysize';
export * from './regularizers';
export * from './keras-h5';
export * from './model-io';
export * from './train';
export * from './image-generator';
export * from './image-transform';
export * from './callbacks';
export * from './data-source';
export * from './progress';
export * from './metrics';
export * from './verify';
export * from './predict';
export * from './trained-model';
export * from './report';
export * from './report-charts';
export * from './schedules';
