/**
 * How long loading the full FER2013 file takes, and its peak memory, on the cpu backend.
 * Each case runs in a fresh process so its peak RSS is its own.
 *
 *   npx ts-node bench/load.ts [path/to/fer2013.csv(.gz)] [--cases 48-sync,200-stream,...]
 *
 * "cpu" is user + system time of all threads: on a shared machine it says more than wall time.
 *
 * Targets (issue #2): 48x48 < 10 s; 200x200 < 60 s with peak RSS < 7 GB (all three splits).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Facial, FacialOptions } from '../src/facial';

const CASES: Record<string, { label: string; sync: boolean; options: FacialOptions }> = {
  '48-sync': { label: '48x48, new Facial() (sync)', sync: true, options: {} },
  '48-stream': { label: '48x48, Facial.load() (stream)', sync: false, options: {} },
  '200-stream': { label: '200x200, Facial.load() (stream)', sync: false, options: { resize: 200 } },
  '200-sync': { label: '200x200, new Facial() (sync)', sync: true, options: { resize: 200 } },
  '200-compact': { label: '200x200 compact (48x48 uint8 kept)', sync: false, options: { resize: 200, compact: true } },
};

const GB = 1024 ** 3;

async function child(name: string, csvPath: string): Promise<void> {
  await tf.setBackend('cpu');
  const c = CASES[name];
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const f = c.sync ? new Facial({ ...c.options, csvPath }) : await Facial.load({ ...c.options, csvPath });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peak = process.resourceUsage().maxRSS * 1024;
  const counts = `${f.count('train')}/${f.count('validation')}/${f.count('test')}`;
  const tensorBytes = tf.memory().numBytes;
  process.stdout.write(
    `${c.label.padEnd(38)} ${seconds.toFixed(1).padStart(6)} s (cpu ${cpuSeconds.toFixed(1)} s)   peak RSS ${(peak / GB).toFixed(2)} GiB` +
      `   tensors ${(tensorBytes / GB).toFixed(2)} GiB   rows ${counts}\n`,
  );
  f.dispose();
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    child(args[1], args[2]).catch((err) => {
      process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    });
    return;
  }
  const casesAt = args.indexOf('--cases');
  const cases = casesAt >= 0 ? args.splice(casesAt, 2)[1].split(',') : Object.keys(CASES);
  for (const c of cases) if (!CASES[c]) throw new Error(`unknown case '${c}' (cases: ${Object.keys(CASES).join(', ')})`);
  const csvPath = path.resolve(args[0] ?? path.join(__dirname, '../../shared/data/fer2013.csv.gz'));
  process.stdout.write(`bench/load: ${csvPath}, cpu backend, one process per case (timings are wall clock; the machine may be shared)\n`);
  const runner = __filename.endsWith('.ts') ? ['-r', 'ts-node/register'] : [];
  for (const name of cases) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=4096', ...runner, __filename, '--child', name, csvPath], {
      stdio: 'inherit',
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    if (r.status !== 0) process.stdout.write(`${CASES[name].label}: failed (exit ${r.status})\n`);
  }
}

main();
