/** `facial preprocess` (foundation issue #2 fills this in). */
import { Command } from 'commander';

/** Adds the preprocess subcommand to `program`. */
export function register(program: Command): void {
  program.command('preprocess').description('write FER2013 into class folders of PNG images').action(() => {
    throw new Error('preprocess: not implemented yet');
  });
}
