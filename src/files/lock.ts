/**
 * One run per save prefix: `<prefix>.lock` holds the pid of the process writing under the
 * prefix. Two `facial train --save_prefix P` at once crashed on each other's cleanup or mixed
 * their rows in one log; now the second refuses, naming the first. The file is created with
 * O_EXCL, so of two processes starting together exactly one gets it. A lock whose process is
 * gone (killed, a crash) is stale and taken over; it is removed only while it still names the
 * dead process, which leaves one race: two processes taking over the same stale lock within
 * the same few microseconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Locks this process holds, by file, with how many callers hold each (trainOnFer2013 and trainResnet50 both take it). */
const held = new Map<string, number>();

/** True when a process with this id exists (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names, or null when it names none (a half-written or foreign file). */
function ownerOf(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Takes the lock of save prefix `prefix` for this process; returns its release. Throws,
 * naming the other process, when a live one holds it. Re-entrant within one process.
 */
export function lockPrefix(prefix: string): () => void {
  const file = path.resolve(`${prefix}.lock`);
  const release = () => {
    const n = (held.get(file) ?? 1) - 1;
    if (n > 0) {
      held.set(file, n);
      return;
    }
    held.delete(file);
    if (ownerOf(file) === process.pid) fs.rmSync(file, { force: true });
  };
  if (held.has(file)) {
    held.set(file, held.get(file)! + 1);
    return release;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      held.set(file, 1);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the lock ${file}: ${(err as Error).message}`);
    }
    const owner = ownerOf(file);
    if (owner !== null && owner !== process.pid && alive(owner)) {
      throw new Error(
        `another training (process ${owner}) is writing under ${prefix} (lock ${file}): wait for it to end, or use another --save_prefix`,
      );
    }
    // Stale (its process is gone) or unreadable: remove it and try again; of two takers, O_EXCL lets one in.
    if (attempt >= 3) throw new Error(`cannot take the lock ${file}: it keeps reappearing`);
    if (ownerOf(file) === owner) fs.rmSync(file, { force: true });
  }
}
