/** Classification metrics (evaluation issue #5 fills this in). */

/** sklearn-style classification report. */
export function classificationReport(_yTrue: number[], _yPred: number[], _numClasses = 7): unknown {
  throw new Error('classificationReport: not implemented yet');
}
