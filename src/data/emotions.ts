/** The seven FER2013 emotion classes, in the dataset's label order (0..6). */
export const EMOTIONS = ['Angry', 'Disgust', 'Fear', 'Happy', 'Sad', 'Surprise', 'Neutral'] as const;

/** Number of FER2013 classes. */
export const NUM_CLASSES = EMOTIONS.length;

/** Side of a FER2013 image as stored in the CSV. */
export const FER_SIZE = 48;

/** Name of one FER2013 emotion class. */
export type Emotion = (typeof EMOTIONS)[number];
