/** `facial bench` (a later issue fills this in). */
import { Command } from 'commander';

/** Adds the bench subcommand to `program`. */
export function register(program: Command): void {
  program.command('bench').description('bench (not implemented yet)').action(() => {
    throw new Error('bench: not implemented yet');
  });
}
