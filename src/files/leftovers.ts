/**
 * What interrupted atomic writes leave beside their target (`<target>.tmp-*` staging copies,
 * `<target>.old-*` copies moved aside by a folder swap), and how to find or recover the
 * complete copy among them. Shared by checkpoint writing and model loading.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { atomicRename, STAGING_SUFFIX } from './atomic';

/** True when `name` is `base` followed by a temporary suffix this library generates (STAGING_SUFFIX). */
export function isLeftoverName(name: string, base: string): boolean {
  return name.startsWith(base) && STAGING_SUFFIX.test(name.slice(base.length));
}

/**
 * `target`'s leftovers of interrupted writes: `<target>.tmp-*` and `<target>.old-*` beside it,
 * only in the shape the library generates: a user's `<target>.old-keep` is not one.
 */
export function leftoversOf(target: string): string[] {
  const parent = path.dirname(path.resolve(target));
  if (!fs.existsSync(parent)) return [];
  const base = path.basename(target);
  return fs
    .readdirSync(parent)
    .filter((f) => isLeftoverName(f, base))
    .map((f) => path.join(parent, f));
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
    if (found && found !== target) atomicRename(found, target);
  }
  for (const f of leftoversOf(target)) fs.rmSync(f, { recursive: true, force: true });
}

/**
 * Before a training run writes under `prefix`: puts a complete `P_best/` back if a kill left it
 * moved aside, and removes killed runs' staging copies of P_best, P_model.json, its weights,
 * P_weights.h5 and P_log.csv. (The resume state has its own recovery in train-state.ts.)
 */
export function cleanRunLeftovers(prefix: string): void {
  recoverAndClean(`${prefix}_best`);
  for (const f of [`${prefix}_model.json`, `${prefix}_model.weights.bin`, `${prefix}_weights.h5`, `${prefix}_log.csv`]) {
    for (const left of leftoversOf(f)) fs.rmSync(left, { recursive: true, force: true });
  }
}
