/** `facial verify` (a later issue fills this in). */
import { Command } from 'commander';

/** Adds the verify subcommand to `program`. */
export function register(program: Command): void {
  program.command('verify').description('verify (not implemented yet)').action(() => {
    throw new Error('verify: not implemented yet');
  });
}
