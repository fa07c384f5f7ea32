/**
 * What interrupted atomic writes leave beside their target (`<target>.tmp-*` staging copies,
 * `<target>.old-*` copies moved aside by a folder swap), and how to find or recover the
 * complete copy among them. Shared by checkpoint writing and model loading.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `target`'s leftovers of interrupted writes: `<target>.tmp-*` and `<target>.old-*` beside it. */
export function leftoversOf(target: string): string[] {
  const parent = path.dirname(path.resolve(target));
  if (!fs.existsSync(parent)) return [];
  const base = path.basename(target);
  return fs.readdirSync(parent).filter((f) => f.startsWith(`${base}.tmp-`) || f.startsWith(`${base}.old-`)).map((f) => path.join(parent, f));
}

/**
 * The complete model folder for `target`: itself, or, when a kill fell between the two
 * renames of a swap, the newest leftover holding a model.json (model.json is written last).
 */
export function findCompleteFolder(target: string): string | null {
  if (fs.existsSync(path.join(target, 'model.json'))) return target;
  const complete = leftoversOf(target).filter((f) => fs.existsSync(path.join(f, 'model.json')));
  complete.sort((a, b) => fs.statSync(path.join(b, 'model.json')).mtimeMs - fs.statSync(path.join(a, 'model.json')).mtimeMs);
  return complete[0] ?? null;
}

/**
 * Puts the newest complete copy of folder `target` back in place if a kill left it missing,
 * then removes every leftover (a killed run's staging folders and files can be hundreds of MB).
 */
export function recoverAndClean(target: string): void {
  if (!fs.existsSync(target)) {
    const found = findCompleteFolder(target);
    if (found && found !== target) fs.renameSync(found, target);
  }
  for (const f of leftoversOf(target)) fs.rmSync(f, { recursive: true, force: true });
}
