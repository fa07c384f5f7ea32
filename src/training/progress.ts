/**
 * Per-epoch training progress: a cli-progress bar (batch, loss, acc, images/s, ETA) on a
 * terminal; when stdout is a file or a pipe, a plain line every `intervalMs` (default 30 s)
 * and one summary line per epoch, so a `nohup ... > log` shows a long epoch moving.
 */
import { SingleBar } from 'cli-progress';
import { Callback, Logs } from './callbacks-base';

/** Where progress goes; stdout by default. */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Force the bar (true) or the plain lines (false); default: whether the stream is a TTY. */
  tty?: boolean;
  /** Without a terminal: the least time between two in-epoch lines (default 30 000 ms; 0 = every batch). */
  intervalMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

function formatDuration(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(r).padStart(2, '0')}s`;
}

/** Shows one epoch at a time. */
export class EpochProgress {
  private bar: SingleBar | null = null;
  private started = 0;
  private images = 0;
  private lastLine = 0;
  private epoch = 0;
  private numBatches = 0;
  private firstBatch = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly epochs: number,
    opts: ProgressOptions = {},
  ) {
    this.stream = opts.stream ?? process.stdout;
    this.tty = opts.tty ?? !!this.stream.isTTY;
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** 'Epoch 3/30', or 'Epoch 3' when the run is bounded by time rather than epochs. */
  private label(epoch: number): string {
    return Number.isFinite(this.epochs) ? `Epoch ${epoch + 1}/${this.epochs}` : `Epoch ${epoch + 1}`;
  }

  /** Starts epoch `epoch` (0-based) of `numBatches` batches (0 when unknown), at batch `firstBatch` when resumed mid-epoch. */
  start(epoch: number, numBatches: number, firstBatch = 0): void {
    this.started = this.now();
    this.lastLine = this.started;
    this.images = 0;
    this.epoch = epoch;
    this.numBatches = numBatches;
    this.firstBatch = firstBatch;
    if (!this.tty) return;
    this.bar = new SingleBar({
      stream: this.stream,
      format: `${this.label(epoch)} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {ips} img/s | ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      etaBuffer: 20,
    });
    this.bar.start(Math.max(numBatches, 1), firstBatch, { loss: '-', acc: '-', ips: '-' });
  }

  /** After each batch: running means of loss/acc over the epoch so far. */
  update(batch: number, batchImages: number, runningLoss: number, runningAcc: number): void {
    this.images += batchImages;
    const now = this.now();
    const secs = (now - this.started) / 1000;
    const ips = secs > 0 ? (this.images / secs).toFixed(1) : '-';
    if (this.tty) {
      this.bar?.update(batch + 1, { loss: runningLoss.toFixed(4), acc: runningAcc.toFixed(4), ips });
      return;
    }
    if (now - this.lastLine < this.intervalMs) return;
    this.lastLine = now;
    const done = batch + 1 - this.firstBatch;
    const total = this.numBatches > 0 ? `/${this.numBatches}` : '';
    const eta = this.numBatches > 0 && done > 0 ? ` | ETA ${formatDuration((secs / done) * (this.numBatches - batch - 1))}` : '';
    this.stream.write(
      `${this.label(this.epoch)} batch ${batch + 1}${total} | loss ${runningLoss.toFixed(4)}` +
        ` | acc ${runningAcc.toFixed(4)} | ${ips} img/s${eta}\n`,
    );
  }

  /** Ends the epoch with its final logs. */
  end(epoch: number, logs: Logs): void {
    const secs = (this.now() - this.started) / 1000;
    this.bar?.stop();
    this.bar = null;
    const fmt = (k: string) => (logs[k] === undefined ? '' : ` ${k} ${k === 'lr' ? logs[k].toPrecision(3) : logs[k].toFixed(4)}`);
    const line =
      `${this.label(epoch)} ${secs.toFixed(1)}s ${(this.images / Math.max(secs, 1e-9)).toFixed(1)} img/s -` +
      ['loss', 'acc', 'val_loss', 'val_acc', 'lr'].map(fmt).join('');
    this.stream.write(line + '\n');
  }
}

/**
 * Progress as a callback (Keras's ProgbarLogger): the loop adds one when verbose. A resumed
 * epoch starts from the state's running sums, passed in onEpochBegin's logs (initialBatch,
 * seen, lossSum, accSum), so the shown means cover the whole epoch.
 */
export class ProgressCallback extends Callback {
  private progress: EpochProgress | null = null;
  private sums = { loss: 0, acc: 0, seen: 0 };

  constructor(private readonly opts: ProgressOptions = {}) {
    super();
  }

  async onTrainBegin(): Promise<void> {
    this.progress = new EpochProgress(this.ctx.params.epochs, this.opts);
  }

  async onEpochBegin(epoch: number, logs: Logs = {}): Promise<void> {
    this.sums = { loss: logs.lossSum ?? 0, acc: logs.accSum ?? 0, seen: logs.seen ?? 0 };
    this.progress?.start(epoch, this.ctx.params.steps, logs.initialBatch ?? 0);
  }

  async onBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    const n = logs.size ?? 0;
    if (!Number.isFinite(logs.loss)) return;
    this.sums.loss += logs.loss * n;
    this.sums.acc += (logs.acc ?? 0) * n;
    this.sums.seen += n;
    this.progress?.update(batch, n, this.sums.loss / Math.max(this.sums.seen, 1), this.sums.acc / Math.max(this.sums.seen, 1));
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.progress?.end(epoch, logs);
  }
}
