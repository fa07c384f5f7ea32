/**
 * Writing files so that a crash or a kill never leaves half of one: every write goes to a
 * temporary name beside the target and is renamed into place, through the one rename helper
 * the crash tests hook into. (What interrupted writes leave behind: leftovers.ts.)
 */
import * as fs from 'node:fs';

// Test hook for crash safety: FACIAL_TEST_KILL_AT_RENAME=K kills the process with SIGKILL
// just before its K-th rename, as `strace -e inject=rename:signal=KILL:when=K` would. The
// kill-loop test runs a training once per K and checks that a resume always finishes.
const killAtRename = Number(process.env.FACIAL_TEST_KILL_AT_RENAME ?? 0);
let renames = 0;

/** fs.renameSync, through which every atomic write of the library goes (see the test hook above). */
export function atomicRename(from: string, to: string): void {
  renames += 1;
  if (killAtRename > 0 && renames === killAtRename) process.kill(process.pid, 'SIGKILL');
  fs.renameSync(from, to);
}

/** The kinds of temporary name: a copy being written (`tmp`), or the previous copy moved aside by a swap (`old`). */
export type StagingKind = 'tmp' | 'old';

/**
 * The one shape of every temporary name the library gives: `<target>.<kind>-<tag>-<random>`,
 * with `tag` a sequence number or process id (digits), a base-36 time, or `adopt`. Cleanup
 * removes only names of this shape (leftovers.ts), so a user's `notes.old-keep` beside a
 * target is never taken for a leftover. Earlier versions gave the same shape (a random part
 * of up to 12 characters), so their leftovers are still recognised.
 */
export const STAGING_SUFFIX = /^(?:\.(?:tmp|old)-(?:\d+|[0-9a-z]{8,9}|adopt)-[0-9a-z]{1,12})+(?:\.h5)?$/;

/** A fresh temporary name beside `target` (see STAGING_SUFFIX for the shape and why). */
export function stagingName(target: string, kind: StagingKind, tag: string | number = Date.now().toString(36)): string {
  return `${target}.${kind}-${tag}-${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}`;
}

/** How many renames this process has made (the kill-loop test counts a run's kill points with it). */
export function renameCount(): number {
  return renames;
}

/**
 * Writes `bytes` to `file` atomically: a temporary name in the same folder, then a
 * rename, so a reader (or a resumed run) never sees a half-written file.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const tmp = stagingName(file, 'tmp', process.pid);
  try {
    fs.writeFileSync(tmp, bytes);
    atomicRename(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    // Node's own message names no path for ENOSPC / EDQUOT.
    throw Object.assign(new Error(`cannot write ${file}: ${e.code === 'ENOSPC' ? 'no space left on device' : e.message}`), {
      code: e.code,
    });
  }
}
