/**
 * Writing prepared faces as PNG files, one at a time, atomically. Used in-process by
 * preprocess.ts and, when loaded as a worker thread, as the worker's body: it receives
 * batches of 48x48 faces with their target file names and answers with progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PNG } from 'pngjs';
import { prepareFace } from './resize';
import { writeFileAtomic } from '../files/atomic';
import { FER_SIZE } from './emotions';
import { FER_PIXELS } from './fer-csv';

/** A batch of faces for one worker: pixels are n * 2304 bytes, files n paths. */
export interface FaceBatch {
  size: number;
  stretch: boolean;
  pixels: Uint8Array;
  files: string[];
}

/** What a worker answers per batch. */
export type WorkerReply = { ok: true; written: number } | { ok: false; file: string; message: string };

/**
 * 8-bit grayscale PNG. A fixed Paeth filter: on FER faces it gives the same size as
 * pngjs's per-row adaptive choice (which nearly always picks Paeth) at about 2.5x the speed.
 */
function encodeFacePng(gray: Uint8Array, size: number): Buffer {
  const png = { width: size, height: size, data: Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength) } as unknown as PNG;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8, filterType: 4 });
}

/** Prepares (stretch + PIL bilinear, as Facial) and writes every face of `batch`; throws naming the file. */
export function writeFaces(batch: FaceBatch): number {
  for (let i = 0; i < batch.files.length; i++) {
    const face = prepareFace(batch.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS), FER_SIZE, FER_SIZE, batch.size, batch.stretch);
    try {
      writeFileAtomic(batch.files[i], encodeFacePng(face, batch.size));
    } catch (err) {
      throw Object.assign(new Error(`${batch.files[i]}: ${(err as Error).message}`), { file: batch.files[i] });
    }
  }
  return batch.files.length;
}

// Only when started by preprocess.ts: importing this file inside someone else's worker does nothing.
if (parentPort && (workerData as { facialPreprocessWorker?: boolean } | null)?.facialPreprocessWorker) {
  const port = parentPort;
  port.on('message', (batch: FaceBatch) => {
    let reply: WorkerReply;
    try {
      reply = { ok: true, written: writeFaces(batch) };
    } catch (err) {
      const e = err as Error & { file?: string };
      reply = { ok: false, file: e.file ?? '', message: e.message };
    }
    port.postMessage(reply);
  });
}
