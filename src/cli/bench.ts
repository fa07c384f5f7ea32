/**
 * `facial bench`: training and prediction throughput of both ResNet-50s on the selected
 * backend (evaluation/benchmark.ts), one JSON line per case with --json. bench/compare.ts runs
 * it next to the PyTorch yardstick and prints the ratios.
 */
import { Command } from 'commander';
import { BENCH_CASES, benchmarkCase } from '../evaluation/benchmark';
import type { ModelKind } from '../models/registry';
import { modelKindFlag, positiveInt } from './flags';

/** Adds the bench subcommand to `program`. */
export function register(program: Command): void {
  program
    .command('bench')
    .description('measure training and prediction images/s of both ResNet-50s on the selected backend')
    .option('--json', 'one JSON object per line')
    .option(
      '--steps <n>',
      'timed steps per case (median is reported), after one warm-up; 5 as the PyTorch yardstick',
      positiveInt('--steps'),
      5,
    )
    .option('--model <kind>', 'run only resnet50-anysize or resnet50', modelKindFlag('--model'))
    .option(
      '--batch_size <n>',
      "train and predict at this batch instead of the cases' (e.g. 50, the seed's, at 200x200)",
      positiveInt('--batch_size'),
    )
    .action(async (opts: { json?: boolean; steps: number; model?: ModelKind; batch_size?: number }) => {
      const cases = (opts.model ? BENCH_CASES.filter((c) => c.model === opts.model) : BENCH_CASES).map((c) =>
        opts.batch_size ? { ...c, batch: opts.batch_size } : c,
      );
      for (const c of cases) {
        const row = await benchmarkCase(c, opts.steps, opts.batch_size !== undefined);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(row)}\n`
            : `${row.model} ${row.size}x${row.size} batch ${row.batch} on ${row.backend}: train ${row.train_img_s} img/s, predict ${row.predict_img_s} img/s\n`,
        );
      }
    });
}
