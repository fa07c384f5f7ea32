/**
 * Runs `facial bench --json` and the PyTorch yardstick (../shared/bench/torch_resnet50.py)
 * back to back on this machine and prints the throughput ratios, so both sides are measured
 * under the same load. Usage: npx ts-node bench/compare.ts [--backend wasm] [--steps 5]
 * PyTorch comes from Debian: apt-get install -y python3-torch python3-torchvision.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const peer = path.resolve(root, process.env.TORCH_BENCH ?? '../shared/bench/torch_resnet50.py');
const python = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
if (!fs.existsSync(peer)) throw new Error(`${peer}: the PyTorch yardstick is missing (set TORCH_BENCH)`);

const ours = execFileSync(process.execPath, [path.join(root, 'dist/cli/main.js'), 'bench', '--json', ...args], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
})
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Record<string, number | string>);

for (const row of ours) {
  const torch = JSON.parse(
    execFileSync(python, [peer, '--size', String(row.size), '--batch', String(row.batch)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim(),
  ) as Record<string, number>;
  const ratio = (k: string) => +((row[k] as number) / torch[k]).toFixed(3);
  console.log(
    JSON.stringify({
      model: row.model,
      size: row.size,
      batch: row.batch,
      backend: row.backend,
      train_img_s: row.train_img_s,
      torch_train_img_s: torch.train_img_s,
      train_ratio: ratio('train_img_s'),
      predict_img_s: row.predict_img_s,
      torch_predict_img_s: torch.predict_img_s,
      predict_ratio: ratio('predict_img_s'),
      torch_threads: torch.threads,
    }),
  );
}
