#!/usr/bin/env node
/**
 * The `facial` command line: a thin layer over the library. Each subcommand lives in its own
 * file (registered by program.ts); this file only translates last release's flag spellings and
 * turns errors into one clear line.
 */
import { buildProgram } from './program';
import { rewriteLegacyFlags } from './legacy-flags';

const program = buildProgram();
const { argv, notices } = rewriteLegacyFlags(program, process.argv.slice(2));
for (const notice of notices) process.stderr.write(`facial: ${notice}\n`);

program.parseAsync(argv, { from: 'user' }).catch((err: Error & { exitCode?: number }) => {
  process.stderr.write(`facial: ${err.message}\n`);
  // An interrupted training exits as a process stopped by Ctrl-C does (130).
  process.exitCode = err.exitCode ?? 1;
});
