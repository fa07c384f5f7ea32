/**
 * A folder of your own labelled photos as training and evaluation data (Keras's
 * flow_from_directory, with faces found first): one subfolder per class, any class names, photos
 * of any size in any format the library reads. Either `train/` and `validation/` (and optionally
 * `test/`) each holding the class folders, or the class folders themselves, from which a seeded,
 * stratified fraction is held out for validation. Each photo becomes a 48x48 grey face as
 * `facial predict` sees it (face-cache.ts), so the folder is then handled as FER2013's faces
 * are: the same per-batch resize for the model's side, the same batching, augmentation and
 * resume. A photo without a face, or unreadable, is skipped and listed, never dropped silently.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMOTIONS, FER_SIZE } from './emotions';
import type { SplitName } from './fer-csv';
import { countClasses, oneHot } from './labels';
import { prepareFaceNormalisedInto } from './resize';
import { ArrayBatch, Batch, DataSource, fromFacial, toBatch } from './data-source';
import { mixSeed, mulberry32, shuffledIndices } from './image-transform';
import { FaceSearchOptions, photoFaces } from './face-cache';
import { inputPreparation } from './input-preparation';

/** Options of loadFaceFolder. */
export interface FaceFolderOptions extends FaceSearchOptions {
  /** Fraction of each class held out for validation when there is no `validation/` folder (default 0.2; 0: none). */
  validationSplit?: number;
  /** Seeds the held-out draw and the batch order (default 0). */
  seed?: number;
  /** Images per batch of the sources (default 32). */
  batchSize?: number;
  /** The model's input side: faces are prepared for it as FER2013's are (default 48). */
  size?: number;
  /**
   * Use these classes, in this order (a trained model's): every class folder must be one of them
   * (case-insensitively); classes without a folder simply have no images. Default: the folders'
   * names, sorted, or FER2013's seven in their order when the folders are exactly those.
   */
  classNames?: readonly string[];
  /** The split a folder without `train/` fills when nothing is held out (default 'train'; `facial verify` scores such a folder as 'test'). */
  flatSplit?: SplitName;
}

/**
 * True for a folder of your own labelled photos (data/face-folder.ts), as opposed to a CSV or
 * the class folders `facial preprocess` writes (train_dir/, validation_dir/).
 */
export function isPhotoFolder(data: string | undefined): data is string {
  return !!data && fs.existsSync(data) && fs.statSync(data).isDirectory() && !fs.existsSync(path.join(data, 'train_dir'));
}

/** A photo that gave no face, and why. */
export interface SkippedPhoto {
  file: string;
  reason: string;
}

/** One split's faces: 48x48 grey bytes, class ids and the photo each came from. */
export interface FolderSplit {
  pixels: Uint8Array;
  labels: Uint8Array;
  files: string[];
}

/**
 * The faces of a folder in the shape the library's FER2013 code reads (a FacialLike for
 * fromFacial, evaluateModel's EvaluationData, writeReport's raw faces), split by split.
 */
export class FaceFolder {
  readonly stretch: boolean;
  constructor(
    readonly root: string,
    readonly classNames: readonly string[],
    private readonly splits: Partial<Record<SplitName, FolderSplit>>,
    /** The side batches are prepared at (the model's input). */
    readonly size: number = FER_SIZE,
  ) {
    this.stretch = inputPreparation(size).stretch;
  }

  /** Faces in `split` (0 when it has none). */
  count(split: SplitName): number {
    return this.splits[split]?.labels.length ?? 0;
  }

  /** Class ids of `split`, in order. Do not modify. */
  labels(split: SplitName): Uint8Array {
    return this.splits[split]?.labels ?? new Uint8Array(0);
  }

  /** The photo each face of `split` came from. */
  files(split: SplitName): readonly string[] {
    return this.splits[split]?.files ?? [];
  }

  /** Faces per class in `split`. */
  classCounts(split: SplitName): number[] {
    return countClasses(this.labels(split), this.classNames.length);
  }

  /** Faces `indices` of `split` prepared for the model's side and normalised, as Facial.batchPixels. */
  batchPixels(split: SplitName, indices: ArrayLike<number>): ArrayBatch {
    const s = this.splitOrThrow(split);
    const side = this.size;
    const pixels = new Float32Array(indices.length * side * side);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= s.labels.length)
        throw new Error(`FaceFolder.batch('${split}'): index ${i} is outside 0..${s.labels.length - 1}`);
      const face = s.pixels.subarray(i * FER_SIZE * FER_SIZE, (i + 1) * FER_SIZE * FER_SIZE);
      prepareFaceNormalisedInto(face, FER_SIZE, FER_SIZE, side, this.stretch, pixels, k * side * side);
    }
    return { pixels, shape: [indices.length, side, side, 1], ys: oneHot(s.labels, this.classNames.length, indices) };
  }

  /** As batchPixels, as tensors; the caller disposes them. */
  batch(split: SplitName, indices: ArrayLike<number>): Batch {
    return toBatch(this.batchPixels(split, indices));
  }

  /** The 48x48 faces of `split` (for the report's grid of mistakes); `lines` numbers them from 1. */
  raw(split: SplitName): { pixels: Uint8Array; lines: Uint32Array } | null {
    const s = this.splits[split];
    return s ? { pixels: s.pixels, lines: Uint32Array.from(s.labels, (_, i) => i + 1) } : null;
  }

  /** Nothing to free (no tensors are held); here so it can stand where a Facial does. */
  dispose(): void {}

  private splitOrThrow(split: SplitName): FolderSplit {
    const s = this.splits[split];
    if (!s) throw new Error(`${this.root}: no ${split} faces`);
    return s;
  }
}

/** What loadFaceFolder found: the sources to train on, and what went into them. */
export interface FaceFolderData {
  /** The faces, split by split. */
  folder: FaceFolder;
  classNames: readonly string[];
  /** Shuffled each epoch (seeded); hands out `classNames` so trainResnet50 builds a head for them. */
  train: DataSource;
  /** In file order; null when nothing was held out and there is no validation/ folder. */
  validation: DataSource | null;
  /** Faces per class, per split. */
  counts: Partial<Record<SplitName, number[]>>;
  /** Photos that gave no face, with the reason ('no face found', or why it could not be read). */
  skipped: SkippedPhoto[];
  /** Photos looked at. */
  photos: number;
  /** One paragraph: classes and their counts, photos, skips, where validation came from. */
  summary: string;
}

const LAYOUT_SPLITS: SplitName[] = ['train', 'validation', 'test'];

/** Every file under `dir` (hidden ones left out: OS metadata and the cache), sorted, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** The class folders of `dir` (hidden ones left out), sorted by code point as Keras sorts them. */
function classFolders(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The folder's split folders (train/, validation/, test/), or null when `dir` holds the class folders itself. */
function layoutOf(dir: string): Partial<Record<SplitName, string>> | null {
  const names = classFolders(dir);
  const present = LAYOUT_SPLITS.filter((s) => names.includes(s));
  if (present.length === 0) return null;
  if (!present.includes('train') && present.length > 0 && names.length === present.length) {
    throw new Error(
      `${dir}: has ${present.map((s) => `${s}/`).join(' and ')} but no train/ (put the training photos' class folders in ${dir}/train/)`,
    );
  }
  if (!present.includes('train')) return null; // 'validation' or 'test' is one class among others
  const others = names.filter((n) => !LAYOUT_SPLITS.includes(n as SplitName));
  if (others.length > 0) {
    throw new Error(
      `${dir}: mixes train/ with other folders (${others.join(', ')}): put every class folder inside ${dir}/train/ (and ${dir}/validation/)`,
    );
  }
  return Object.fromEntries(present.map((s) => [s, path.join(dir, s)]));
}

/** The classes in model order: the given names, FER2013's seven when the folders are exactly those, else sorted. */
function resolveClasses(folders: string[], given: readonly string[] | undefined, where: string): string[] {
  const lower = (s: string) => s.toLowerCase();
  if (given) {
    const missing = folders.filter((f) => !given.some((g) => lower(g) === lower(f)));
    if (missing.length > 0)
      throw new Error(
        `${where}: class folder${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not among the model's classes (${given.join(', ')})`,
      );
    return [...given];
  }
  const fer = EMOTIONS.map(lower);
  if (folders.length === EMOTIONS.length && folders.every((f) => fer.includes(lower(f)))) return [...EMOTIONS];
  return folders;
}

/** Checks the class folders of one split folder: at least two, none empty; returns their names. */
function checkClassFolders(dir: string, needTwo: boolean): string[] {
  const names = classFolders(dir);
  if (names.length === 0)
    throw new Error(`${dir}: no class folders (expected one subfolder per class, e.g. ${path.join(dir, 'happy')}/*.jpg)`);
  if (needTwo && names.length === 1)
    throw new Error(`${dir}: only one class folder (${names[0]}): a classifier needs at least two classes`);
  for (const n of names) {
    if (filesUnder(path.join(dir, n)).length === 0) throw new Error(`${path.join(dir, n)}: empty class folder (no photos in it)`);
  }
  return names;
}

/** The split folders of `dir`, the split its top level fills, and the classes, checked (see loadFaceFolder's errors). */
function scanFolder(
  dir: string,
  o: Pick<FaceFolderOptions, 'classNames' | 'flatSplit'>,
): { splitDirs: Partial<Record<SplitName, string>>; trainKey: SplitName; classNames: string[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: no such folder`);
  const layout = layoutOf(dir);
  const splitDirs: Partial<Record<SplitName, string>> = layout ?? { [o.flatSplit ?? 'train']: dir };
  const trainKey: SplitName = layout ? 'train' : (o.flatSplit ?? 'train');

  // Class names: the train folder's, and every other split must have the same set.
  const trainFolders = checkClassFolders(splitDirs[trainKey]!, !o.classNames);
  for (const s of LAYOUT_SPLITS) {
    const d = splitDirs[s];
    if (!d || s === trainKey) continue;
    const names = checkClassFolders(d, false);
    if (o.classNames) resolveClasses(names, o.classNames, d);
    const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
    if (!o.classNames && (only(names, trainFolders).length > 0 || only(trainFolders, names).length > 0)) {
      throw new Error(
        `${dir}: the class folders of ${s}/ differ from train/'s: ` +
          [
            only(trainFolders, names).length ? `only in train/: ${only(trainFolders, names).join(', ')}` : '',
            only(names, trainFolders).length ? `only in ${s}/: ${only(names, trainFolders).join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
      );
    }
  }
  const classNames = resolveClasses(trainFolders, o.classNames, splitDirs[trainKey]!);
  return { splitDirs, trainKey, classNames };
}

/**
 * The classes a folder of labelled photos trains, in the model's output order, from its folder
 * names alone (no photo is read): what loadFaceFolder will use. Errors as loadFaceFolder's.
 */
export function folderClassNames(dir: string, o: Pick<FaceFolderOptions, 'classNames'> = {}): string[] {
  return scanFolder(dir, o).classNames;
}

/**
 * Builds the train and validation sources of a folder of labelled photos (see the file's
 * comment for the layout). Faces are found and framed as `facial predict` does (the largest face
 * of each photo; `detect: false` for folders of face crops) and cached as 48x48 grey. Errors name
 * the folder: no class folders, a single class, an empty class folder, a class (or the whole
 * folder) without a single face, class names that differ between train/ and validation/.
 */
export async function loadFaceFolder(dir: string, o: FaceFolderOptions = {}): Promise<FaceFolderData> {
  const frac = o.validationSplit ?? 0.2;
  if (!(frac >= 0 && frac < 1)) throw new Error(`--validation_split must be a fraction in 0..1 (below 1), got ${frac}`);
  const seed = o.seed ?? 0;
  const { splitDirs, trainKey, classNames } = scanFolder(dir, o);
  const classOf = (folder: string) => classNames.findIndex((c) => c.toLowerCase() === folder.toLowerCase());

  const skipped: SkippedPhoto[] = [];
  let photos = 0;
  const splits: Partial<Record<SplitName, FolderSplit>> = {};
  for (const s of LAYOUT_SPLITS) {
    const d = splitDirs[s];
    if (!d) continue;
    const entries = classFolders(d).flatMap((folder) => filesUnder(path.join(d, folder)).map((file) => ({ file, folder })));
    photos += entries.length;
    const faces = await photoFaces(
      dir,
      entries.map((e) => e.file),
      o,
    );
    const kept: Array<{ face: Uint8Array; label: number; file: string }> = [];
    faces.forEach((f, i) => {
      if ('face' in f) kept.push({ face: f.face, label: classOf(entries[i].folder), file: entries[i].file });
      else skipped.push({ file: entries[i].file, reason: f.skip });
    });
    if (s === trainKey) {
      if (kept.length === 0) {
        throw new Error(
          `${d}: no face found in any of its ${entries.length} photos` +
            (o.detect === false ? '' : ' (for a folder of face crops, --no_detect / detect: false uses each whole image)'),
        );
      }
      for (const folder of classFolders(d)) {
        const c = classOf(folder);
        if (!kept.some((k) => k.label === c)) {
          const n = entries.filter((e) => e.folder === folder).length;
          throw new Error(
            `${path.join(d, folder)}: none of its ${n} photos gave a face (see the skipped photos); the class cannot be learnt`,
          );
        }
      }
    }
    splits[s] = pack(kept);
  }

  // No validation/ folder: hold out a seeded, stratified fraction of each class of train.
  if (!splitDirs.validation && frac > 0 && trainKey === 'train') {
    const all = splits.train!;
    const held = new Set<number>();
    classNames.forEach((_, c) => {
      const ids = [...all.labels.keys()].filter((i) => all.labels[i] === c);
      const take = ids.length < 2 ? 0 : Math.min(ids.length - 1, Math.round(ids.length * frac));
      const order = shuffledIndices(ids.length, mulberry32(mixSeed(seed, c, 0x5b117)));
      for (let k = 0; k < take; k++) held.add(ids[order[k]]);
    });
    const pick = (inHeld: boolean) =>
      pack(
        [...all.labels.keys()]
          .filter((i) => held.has(i) === inHeld)
          .map((i) => ({
            face: all.pixels.subarray(i * FER_SIZE * FER_SIZE, (i + 1) * FER_SIZE * FER_SIZE),
            label: all.labels[i],
            file: all.files[i],
          })),
      );
    if (held.size > 0) {
      splits.validation = pick(true);
      splits.train = pick(false);
    }
  }

  const folder = new FaceFolder(dir, classNames, splits, o.size ?? FER_SIZE);
  const batchSize = o.batchSize ?? 32;
  const counts = Object.fromEntries(LAYOUT_SPLITS.filter((s) => splits[s]).map((s) => [s, folder.classCounts(s)]));
  // A folder scored as one split (flatSplit) has nothing to train on.
  const train = folder.count('train') > 0 ? fromFacial(folder, 'train', { batchSize, seed }) : emptySource(classNames);
  const validation = folder.count('validation') > 0 ? fromFacial(folder, 'validation', { batchSize, shuffle: false }) : null;
  return {
    folder,
    classNames,
    train,
    validation,
    counts,
    skipped,
    photos,
    summary: summarize(dir, folder, photos, skipped, splitDirs.validation ? null : frac, seed),
  };
}

/** The faces kept from one split folder, as one block of bytes. */
function pack(kept: Array<{ face: Uint8Array; label: number; file: string }>): FolderSplit {
  const pixels = new Uint8Array(kept.length * FER_SIZE * FER_SIZE);
  kept.forEach((k, i) => pixels.set(k.face, i * FER_SIZE * FER_SIZE));
  return { pixels, labels: Uint8Array.from(kept, (k) => k.label), files: kept.map((k) => k.file) };
}

/** A source without batches (a folder scored as one split, not trained on). */
function emptySource(classNames: readonly string[]): DataSource {
  return { size: 0, numBatches: 0, classNames, async *batches() {} };
}

function summarize(dir: string, folder: FaceFolder, photos: number, skipped: SkippedPhoto[], frac: number | null, seed: number): string {
  const present = LAYOUT_SPLITS.filter((s) => folder.count(s) > 0);
  const perClass = folder.classNames.map((name, c) => `${name} ${present.map((s) => folder.classCounts(s)[c]).join('+')}`).join(', ');
  const reasons = new Map<string, number>();
  for (const s of skipped) {
    const r = s.reason === 'no face found' ? 'no face found' : 'unreadable';
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  const skips = skipped.length ? `${skipped.length} skipped (${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')})` : 'none skipped';
  const val =
    folder.count('validation') === 0
      ? 'no validation faces'
      : frac === null
        ? 'validation from validation/'
        : `validation: ${Math.round(frac * 100)}% of each class held out (seed ${seed})`;
  return `${dir}: ${folder.classNames.length} classes, faces per class (${present.join('+')}): ${perClass}; ${photos} photos, ${skips}; ${val}`;
}
