/**
 * Per-epoch training progress: a cli-progress bar (batch, loss, acc, images/s, ETA) on a
 * terminal, one summary line per epoch when stdout is a file or a pipe (logs stay readable).
 */
import { SingleBar } from 'cli-progress';
import type { Logs } from './callbacks';

/** Where progress goes; stdout by default. */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Force the bar (true) or the plain lines (false); default: whether the stream is a TTY. */
  tty?: boolean;
}

/** Shows one epoch at a time. */
export class EpochProgress {
  private bar: SingleBar | null = null;
  private started = 0;
  private images = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly epochs: number, opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stdout;
    this.tty = opts.tty ?? !!this.stream.isTTY;
  }

  /** Starts epoch `epoch` (0-based) of `numBatches` batches (0 when unknown). */
  start(epoch: number, numBatches: number): void {
    this.started = Date.now();
    this.images = 0;
    if (!this.tty) return;
    this.bar = new SingleBar({
      stream: this.stream,
      format: `Epoch ${epoch + 1}/${this.epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {ips} img/s | ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      etaBuffer: 20,
    });
    this.bar.start(Math.max(numBatches, 1), 0, { loss: '-', acc: '-', ips: '-' });
  }

  /** After each batch: running means of loss/acc over the epoch so far. */
  update(batch: number, batchImages: number, runningLoss: number, runningAcc: number): void {
    this.images += batchImages;
    const secs = (Date.now() - this.started) / 1000;
    this.bar?.update(batch + 1, {
      loss: runningLoss.toFixed(4), acc: runningAcc.toFixed(4), ips: secs > 0 ? (this.images / secs).toFixed(1) : '-',
    });
  }

  /** Ends the epoch with its final logs. */
  end(epoch: number, logs: Logs): void {
    const secs = (Date.now() - this.started) / 1000;
    this.bar?.stop();
    this.bar = null;
    const fmt = (k: string) => (logs[k] === undefined ? '' : ` ${k} ${k === 'lr' ? logs[k].toPrecision(3) : logs[k].toFixed(4)}`);
    const line = `Epoch ${epoch + 1}/${this.epochs} ${secs.toFixed(1)}s ${(this.images / Math.max(secs, 1e-9)).toFixed(1)} img/s -`
      + ['loss', 'acc', 'val_loss', 'val_acc', 'lr'].map(fmt).join('');
    this.stream.write(line + '\n');
  }
}
