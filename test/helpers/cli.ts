/** Runs the `facial` command line from source, as the CLI tests do, in one place. */
import * as path from 'node:path';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { ROOT } from './paths';

/** src/cli/main.ts. */
export const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');

/** Options of one `facial` run. */
export interface CliRunOptions {
  /** Working folder (default: the repository root). */
  cwd?: string;
  /** Extra environment, over this process's. */
  env?: NodeJS.ProcessEnv;
  /** Modules to preload before ts-node (node's -r), e.g. one that hides a package. */
  preload?: string[];
}

/**
 * `facial ...args` from source (ts-node, transpile only: the type check is tsc's job), to the
 * end; its status, stdout and stderr as text.
 */
export function runCli(args: readonly string[], opts: CliRunOptions = {}): SpawnSyncReturns<string> {
  const preload = (opts.preload ?? []).flatMap((m) => ['-r', m]);
  return spawnSync(process.execPath, [...preload, '-r', require.resolve('ts-node/register/transpile-only'), CLI, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...opts.env },
  });
}
