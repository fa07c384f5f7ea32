/**
 * Photos to 48x48 grey faces for training on a folder (face-folder.ts), with a cache so a
 * second run does not detect again. Each photo goes the way `facial predict` takes it: the
 * detector's faces, the largest one framed as FER2013's (ferFrame, cropSquare), grey by PIL's
 * luma and resized to 48 with PIL's bilinear filter (or, without detection, the whole image);
 * what `predict` would then feed a 48x48 model is exactly these bytes through x / 255 - 0.5.
 *
 * The cache is one JSON file per detection setting (detect or not, the detector's threshold and
 * border, the framing), in the folder's `.facial_cache/`, keyed by each photo's path, size and
 * modification time: a changed photo is read again, a changed setting uses another file. It is
 * written atomically (files/atomic.ts), every few hundred new photos and at the end, so a killed
 * run keeps most of its work. Unreadable photos are not cached: they are quick to fail again.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FER_SIZE } from './emotions';
import { readImage, RawImage, toGrayscale } from './image-io';
import { prepareFaceInto } from './resize';
import { inputPreparation } from './input-preparation';
import { cropSquare, FER_FRAMING } from '../detection/framing';
import { FaceDetector } from '../detection/detector';
import { CROP_BORDER, TIGHT_FACE, TILE } from '../detection/faces';
import { writeFileAtomic } from '../files/atomic';

/** How faces are found in a folder's photos. */
export interface FaceSearchOptions {
  /** Find the face (default true); false: each whole image is one face crop (`--no_detect`). */
  detect?: boolean;
  /** Detector confidence a face needs (default 0.5, as `facial predict`). */
  minScore?: number;
  /** One search with this grey border (in image sides); default: predict's two searches. */
  border?: number;
  /** Folder of the cache; default `<folder>/.facial_cache`; false: no cache. */
  cacheDir?: string | false;
  /** A loaded detector (default: loaded when a photo needs one, disposed at the end). */
  detector?: FaceDetector;
  /** Where notes go (the cache could not be written); default stderr. */
  log?: (message: string) => void;
  /** Called after each photo with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** A photo's face as 48x48 grey bytes, or why it has none. */
export type PhotoFace = { face: Uint8Array } | { skip: string };

/** The 48x48 grey face of `img`: its `frame` square as predict crops it, or the whole image. */
export function face48(img: RawImage, frame: { x: number; y: number; side: number } | null): Uint8Array {
  const crop = frame ? cropSquare(img, frame) : img;
  const out = new Uint8Array(FER_SIZE * FER_SIZE);
  prepareFaceInto(toGrayscale(crop), crop.width, crop.height, FER_SIZE, false, out, inputPreparation(FER_SIZE).shrink);
  return out;
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  /** base64 of the 2,304 bytes, or absent when no face was found. */
  face?: string;
  skip?: string;
}

interface CacheFile {
  version: 1;
  settings: Record<string, unknown>;
  entries: Record<string, CacheEntry>;
}

/** What a cache file is keyed by: every setting that changes which bytes a photo gives. */
function cacheSettings(o: FaceSearchOptions): Record<string, unknown> {
  const shrink = inputPreparation(FER_SIZE).shrink;
  return o.detect === false
    ? { detect: false, size: FER_SIZE, shrink }
    : {
        detect: true,
        size: FER_SIZE,
        shrink,
        minScore: o.minScore ?? 0.5,
        border: o.border ?? null,
        framing: FER_FRAMING,
        detector: 'blazeface-back',
        // how findFaces searches: a change of search finds other faces, so it is a new cache
        search: { cropBorder: CROP_BORDER, tightFace: TIGHT_FACE, zoomTile: TILE },
      };
}

/** The cache file of a folder for these settings (null: caching off). */
export function faceCachePath(root: string, o: FaceSearchOptions): string | null {
  if (o.cacheDir === false) return null;
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify(cacheSettings(o)))
    .digest('hex')
    .slice(0, 12);
  return path.join(o.cacheDir ?? path.join(root, '.facial_cache'), `faces-${key}.json`);
}

function readCache(file: string | null, settings: Record<string, unknown>): Record<string, CacheEntry> {
  if (!file || !fs.existsSync(file)) return {};
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
    // A hash collision or a hand-edited file must not hand out faces of other settings.
    if (parsed.version !== 1 || JSON.stringify(parsed.settings) !== JSON.stringify(settings)) return {};
    return parsed.entries ?? {};
  } catch {
    return {}; // unreadable: detect again and rewrite it
  }
}

/** New detections between two writes of the cache, so a killed run loses at most this many. */
const WRITE_EVERY = 200;

/**
 * The face of each of `files` (paths under `root`), in order: from the cache when the photo's
 * size and time are unchanged, else found (or, without detection, the whole image) and cached.
 * A photo that cannot be read, or holds no face, gets the reason instead; nothing throws for one.
 */
export async function photoFaces(root: string, files: string[], o: FaceSearchOptions = {}): Promise<PhotoFace[]> {
  const log = o.log ?? ((m: string) => process.stderr.write(`facial: ${m}\n`));
  const settings = cacheSettings(o);
  const cacheFile = faceCachePath(root, o);
  const entries = readCache(cacheFile, settings);
  const live: Record<string, CacheEntry> = {}; // only the files of this call: removed photos drop out
  let detector = o.detector ?? null;
  let dirty = 0;
  let cacheBroken = false;
  const save = () => {
    if (!cacheFile || cacheBroken || dirty === 0) return;
    try {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
      writeFileAtomic(cacheFile, JSON.stringify({ version: 1, settings, entries: { ...entries, ...live } } satisfies CacheFile));
      dirty = 0;
    } catch (err) {
      cacheBroken = true;
      log(`could not write the face cache ${cacheFile} (${(err as Error).message}): the next run will detect again`);
    }
  };
  const out: PhotoFace[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const key = path.relative(root, file);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch (err) {
        out.push({ skip: `cannot read: ${(err as Error).message}` });
        continue;
      }
      const hit = entries[key];
      if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs) {
        live[key] = hit;
        out.push(hit.face ? { face: new Uint8Array(Buffer.from(hit.face, 'base64')) } : { skip: hit.skip ?? 'no face found' });
      } else {
        let img: RawImage;
        try {
          img = readImage(file);
        } catch (err) {
          const message = (err as Error).message;
          out.push({ skip: message.startsWith(file) ? message.slice(file.length).replace(/^:\s*/, '') : message });
          o.onProgress?.(i + 1, files.length);
          continue;
        }
        let result: PhotoFace;
        if (o.detect === false) result = { face: face48(img, null) };
        else {
          detector ??= await FaceDetector.load();
          const [largest] = await detector.detect(img, { minScore: o.minScore, border: o.border });
          result = largest ? { face: face48(img, largest.frame) } : { skip: 'no face found' };
        }
        live[key] = {
          size: stat.size,
          mtimeMs: stat.mtimeMs,
          ...('face' in result ? { face: Buffer.from(result.face).toString('base64') } : { skip: result.skip }),
        };
        out.push(result);
        if (++dirty >= WRITE_EVERY) save();
      }
      o.onProgress?.(i + 1, files.length);
    }
  } finally {
    if (detector && !o.detector) detector.dispose();
    save();
  }
  // Entries of photos no longer in the folder are dropped once something new is written.
  return out;
}
