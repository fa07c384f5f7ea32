/** `facial predict` (a later issue fills this in). */
import { Command } from 'commander';

/** Adds the predict subcommand to `program`. */
export function register(program: Command): void {
  program.command('predict').description('predict (not implemented yet)').action(() => {
    throw new Error('predict: not implemented yet');
  });
}
