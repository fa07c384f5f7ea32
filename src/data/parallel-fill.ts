/**
 * Filling a large float32 image tensor on several threads, synchronously (so
 * `new Facial({resize: 200})` can stay a plain constructor). The 48x48 pixels and the
 * output live in SharedArrayBuffers; each worker prepares a contiguous range of faces,
 * the calling thread does one range itself and then blocks on Atomics.wait until every
 * worker has flagged its range done (or failed).
 */
import * as os from 'node:os';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { prepareFaceNormalisedInto } from './resize';
import { startModuleWorker } from './worker-thread';

/** When and how wide Facial fills in parallel; exported so tests and benchmarks can adjust it. */
export const PARALLEL_FILL = {
  /** Output floats at or above which threads are used (below it, thread startup is not worth it). */
  minFloats: 64e6,
  /** Threads in all, the calling one included. */
  threads: Math.min(os.availableParallelism(), 4),
};

interface FillJob {
  facialFillWorker: true;
  pixels: SharedArrayBuffer; // count * inSide^2 bytes
  out: SharedArrayBuffer; // count * size^2 float32
  status: SharedArrayBuffer; // Int32 pair per worker: [0 running | 1 done | 2 failed, faces done]
  slot: number;
  start: number;
  end: number;
  inSide: number;
  size: number;
  stretch: boolean;
}

/** A worker that makes no progress for this long is taken as dead (it cannot report while we block). */
const STALL_MS = 120_000;

function fillRange(
  pixels: Uint8Array,
  inSide: number,
  size: number,
  stretch: boolean,
  out: Float32Array,
  start: number,
  end: number,
  progress?: (i: number) => void,
): void {
  const inArea = inSide * inSide,
    area = size * size;
  for (let i = start; i < end; i++) {
    prepareFaceNormalisedInto(pixels.subarray(i * inArea, (i + 1) * inArea), inSide, inSide, size, stretch, out, i * area);
    progress?.(i);
  }
}

function startWorker(job: FillJob): Worker {
  return startModuleWorker(__dirname, __filename, 'parallel-fill', job);
}

/**
 * Writes faces 0..count-1 of `pixels` (inSide x inSide each), prepared for `size` and
 * normalised, into `out`, which must be a Float32Array on a SharedArrayBuffer.
 */
export function fillFacesParallel(
  pixels: Uint8Array,
  count: number,
  inSide: number,
  size: number,
  stretch: boolean,
  out: Float32Array,
  threads = PARALLEL_FILL.threads,
): void {
  if (!(out.buffer instanceof SharedArrayBuffer)) throw new Error('fillFacesParallel: out must be backed by a SharedArrayBuffer');
  const shared = new SharedArrayBuffer(count * inSide * inSide);
  new Uint8Array(shared).set(pixels.subarray(0, count * inSide * inSide));
  const nWorkers = Math.max(0, Math.min(threads, count) - 1);
  const status = new SharedArrayBuffer(8 * Math.max(nWorkers, 1));
  const flags = new Int32Array(status);
  const per = Math.ceil(count / (nWorkers + 1));
  const workers: Worker[] = [];
  try {
    for (let w = 0; w < nWorkers; w++) {
      const start = (w + 1) * per,
        end = Math.min(count, start + per);
      workers.push(
        startWorker({
          facialFillWorker: true,
          pixels: shared,
          out: out.buffer as SharedArrayBuffer,
          status,
          slot: w,
          start,
          end,
          inSide,
          size,
          stretch,
        }),
      );
    }
    fillRange(new Uint8Array(shared), inSide, size, stretch, out, 0, Math.min(per, count));
    for (let w = 0; w < nWorkers; w++) {
      let seen = -1,
        since = Date.now();
      while (Atomics.load(flags, 2 * w) === 0) {
        Atomics.wait(flags, 2 * w, 0, 1000);
        const done = Atomics.load(flags, 2 * w + 1);
        if (done !== seen) [seen, since] = [done, Date.now()];
        else if (Date.now() - since > STALL_MS) throw new Error(`fillFacesParallel: worker ${w} made no progress for ${STALL_MS / 1000} s`);
      }
      if (Atomics.load(flags, 2 * w) !== 1) throw new Error(`fillFacesParallel: worker ${w} failed (see stderr)`);
    }
  } finally {
    for (const w of workers) void w.terminate();
  }
}

if (!isMainThread && (workerData as FillJob | null)?.facialFillWorker) {
  const job = workerData as FillJob;
  const flags = new Int32Array(job.status);
  try {
    fillRange(new Uint8Array(job.pixels), job.inSide, job.size, job.stretch, new Float32Array(job.out), job.start, job.end, () =>
      Atomics.add(flags, 2 * job.slot + 1, 1),
    );
    Atomics.store(flags, 2 * job.slot, 1);
  } catch (err) {
    process.stderr.write(`fillFacesParallel worker: ${(err as Error).stack}\n`);
    Atomics.store(flags, 2 * job.slot, 2);
  }
  Atomics.notify(flags, 2 * job.slot);
}
