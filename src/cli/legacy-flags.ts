/**
 * Last release's flag spellings, translated to the one scheme (the seed's snake_case;
 * `--model` is always the architecture, `--model_weights` always a model file, `--data` always
 * the data) with a one-line notice each, so scripts keep working for one more release.
 */
import * as fs from 'node:fs';
import type { Command, Option } from 'commander';
import { isModelKind } from '../models/registry';

/** One renamed flag. */
export interface LegacyFlag {
  /** Subcommands where the old spelling existed. */
  commands: readonly string[];
  from: string;
  to: string;
  /**
   * For an old spelling that is now a flag with another meaning (`--model PATH` in predict):
   * whether this value can only have meant the old one.
   */
  oldMeaning?: (value: string) => boolean;
}

/**
 * A value that names a model file rather than an architecture: not a kind, and on disk or shaped
 * like a path. A bare word that is neither (a misspelt kind) stays --model and is refused as such.
 */
const isModelPath = (value: string): boolean => !isModelKind(value) && (/[\\/.]/.test(value) || fs.existsSync(value));

/** Every renamed flag of the previous release. */
export const LEGACY_FLAGS: readonly LegacyFlag[] = [
  { commands: ['preprocess'], from: '--csv', to: '--data' },
  { commands: ['preprocess', 'train'], from: '--size', to: '--image_size' },
  { commands: ['preprocess', 'predict'], from: '--no-stretch', to: '--no_stretch' },
  { commands: ['preprocess'], from: '--skip-bad-rows', to: '--skip_bad_rows' },
  { commands: ['train'], from: '--no-eval', to: '--no_eval' },
  { commands: ['predict'], from: '--no-detect', to: '--no_detect' },
  { commands: ['predict', 'report'], from: '--model', to: '--model_weights', oldMeaning: isModelPath },
  { commands: ['predict', 'report', 'export'], from: '--model_kind', to: '--model' },
  { commands: ['bench'], from: '--only', to: '--model' },
  { commands: ['bench'], from: '--batch', to: '--batch_size' },
];

/** Subcommands whose model file was a positional argument (`facial export MODEL`). */
const POSITIONAL_MODEL = new Set(['export']);

/**
 * `args` (without node and the script) with last release's spellings replaced by today's, and
 * one notice per replaced flag. Only tokens in flag position are touched: a flag's value is
 * never read as a flag.
 */
export function rewriteLegacyFlags(program: Command, args: readonly string[]): { argv: string[]; notices: string[] } {
  const at = args.findIndex((a) => !a.startsWith('-'));
  const cmd = at < 0 ? undefined : program.commands.find((c) => c.name() === args[at]);
  if (!cmd) return { argv: [...args], notices: [] };
  const name = cmd.name();
  const out = args.slice(0, at + 1);
  const notices = new Set<string>();
  const option = (flag: string): Option | undefined => cmd.options.find((o) => o.long === flag);

  for (let i = at + 1; i < args.length; i++) {
    const token = args[i];
    if (token === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (!token.startsWith('--')) {
      if (POSITIONAL_MODEL.has(name)) {
        out.push('--model_weights', token);
        notices.add(`${name} MODEL is now ${name} --model_weights MODEL (the old form works for this release)`);
      } else {
        out.push(token);
      }
      continue;
    }
    const eq = token.indexOf('=');
    const flag = eq < 0 ? token : token.slice(0, eq);
    const inline = eq < 0 ? undefined : token.slice(eq + 1);
    const value = inline ?? args[i + 1];
    const rule = LEGACY_FLAGS.find(
      (r) => r.from === flag && r.commands.includes(name) && (!r.oldMeaning || (value !== undefined && r.oldMeaning(value))),
    );
    const current = rule ? rule.to : flag;
    if (rule) notices.add(`${name} ${rule.from} is now ${rule.to} (the old spelling works for this release)`);
    out.push(inline === undefined ? current : `${current}=${inline}`);
    const opt = option(current);
    if (inline !== undefined || !opt || i + 1 >= args.length) continue;
    // Keep the flag's value with it, as commander will read it.
    if (opt.required || (opt.optional && !args[i + 1].startsWith('-'))) out.push(args[++i]);
  }
  return { argv: out, notices: [...notices] };
}
