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

/** How many renames this process has made (the kill-loop test counts a run's kill points with it). */
export function renameCount(): number {
  return renames;
}

/**
 * Writes `bytes` to `file` atomically: a temporary name in the same folder, then a
 * rename, so a reader (or a resumed run) never sees a half-written file.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
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
