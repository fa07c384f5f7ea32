/**
 * Starting a worker_thread on one of the library's own modules, whether it runs compiled
 * (dist/*.js) or from source under ts-node (examples, tests): a worker does not inherit
 * ts-node's require hook, so a .ts module must register it itself.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker on the module `name` that sits in `dir` beside the caller (pass __dirname),
 * with the caller's own extension (`callerFile`: pass __filename), and hands it `workerData`.
 */
export function startModuleWorker(dir: string, callerFile: string, name: string, workerData: unknown): Worker {
  const file = path.join(dir, `${name}${path.extname(callerFile)}`);
  if (file.endsWith('.ts')) {
    return new Worker(`require('ts-node/register'); require(${JSON.stringify(file)});`, {
      eval: true,
      workerData,
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
  }
  return new Worker(file, { workerData });
}
