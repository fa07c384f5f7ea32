/**
 * Zeroes the subnormal float32 values in resume states written by a trainer older than the
 * periodic flush (src/models/denormals.ts says why they matter): scripts/long-run.sh runs it
 * on its run's state before every resume, so that run's weights and Adam moments start each
 * stop fast again. Only while no trainer writes the folder.
 *
 *   npx ts-node scripts/flush-subnormals.ts STATE_DIR...
 */
import { flushStateSubnormals } from '../src/training/train-state';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  process.stderr.write('usage: npx ts-node scripts/flush-subnormals.ts STATE_DIR...\n');
  process.exit(2);
}
for (const dir of dirs) {
  try {
    process.stdout.write(`${dir}: ${flushStateSubnormals(dir)} subnormal values set to zero\n`);
  } catch (err) {
    process.stderr.write(`flush-subnormals: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
