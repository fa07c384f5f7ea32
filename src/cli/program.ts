/**
 * The `facial` program: every subcommand registered, plus what they all share (--backend /
 * FACIAL_BACKEND). Built by a function so tests can walk the whole surface without running it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { BACKEND_NAMES, selectBackend } from '../engine/select';
import { register as registerPreprocess } from './preprocess';
import { register as registerTrain } from './train';
import { register as registerVerify } from './verify';
import { register as registerPredict } from './predict';
import { register as registerReport } from './report';
import { register as registerBench } from './bench';
import { register as registerExport } from './export';

/** The package's version, from package.json (two folders up from both src/cli/ and dist/cli/). */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** A new `facial` program with all subcommands; parse it with `parseAsync`. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('facial')
    .description('Train and use ResNet-50 facial-expression classifiers on FER2013 (TensorFlow.js)')
    .version(packageVersion())
    .showHelpAfterError();

  for (const register of [
    registerPreprocess,
    registerTrain,
    registerVerify,
    registerPredict,
    registerReport,
    registerBench,
    registerExport,
  ]) {
    register(program);
  }

  for (const cmd of program.commands) {
    cmd.option(
      '--backend <name>',
      `force a backend: ${BACKEND_NAMES.join(', ')} ('tensorflow' = tfjs-node-gpu or tfjs-node; default: FACIAL_BACKEND, else the fastest present)`,
    );
  }
  program.hook('preAction', async (_program, action) => {
    const opts = action.opts() as { backend?: string; json?: boolean };
    if (action.name() === 'preprocess') {
      // Pure data work needs no backend, but a wrong name is still a mistake worth saying.
      const name = opts.backend ?? (process.env.FACIAL_BACKEND || undefined);
      if (name !== undefined && !(BACKEND_NAMES as readonly string[]).includes(name)) {
        throw new Error(
          `${opts.backend !== undefined ? '--backend' : 'FACIAL_BACKEND'}: unknown backend '${name}' (choose one of ${BACKEND_NAMES.join(', ')})`,
        );
      }
      return;
    }
    await selectBackend(opts.backend, { quiet: !!opts.json });
  });
  return program;
}
