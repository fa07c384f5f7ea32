/** `facial train` (a later issue fills this in). */
import { Command } from 'commander';

/** Adds the train subcommand to `program`. */
export function register(program: Command): void {
  program.command('train').description('train (not implemented yet)').action(() => {
    throw new Error('train: not implemented yet');
  });
}
