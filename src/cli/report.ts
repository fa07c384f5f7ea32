/** `facial report` (a later issue fills this in). */
import { Command } from 'commander';

/** Adds the report subcommand to `program`. */
export function register(program: Command): void {
  program.command('report').description('report (not implemented yet)').action(() => {
    throw new Error('report: not implemented yet');
  });
}
