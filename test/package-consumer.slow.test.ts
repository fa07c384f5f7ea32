/**
 * The package as a TypeScript user gets it: packed with `npm pack`, unpacked into an empty
 * project beside its production dependencies only (no dev dependencies, so a published .d.ts
 * that needs one fails here), compiled with `strict` and `skipLibCheck: false`, and run.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from './helpers/paths';

const CONSUMER = `
import { EMOTIONS, Facial, loadPretrained, selectBackend, type PredictResult, type RawImage } from 'facial-resnet';

async function main(): Promise<void> {
  await selectBackend('cpu', { quiet: true });
  const data = await Facial.load({ splits: ['test'], limit: 2 });
  const face: RawImage = { width: 48, height: 48, channels: 1, data: new Uint8Array(48 * 48).fill(128) };
  const { model, classify } = await loadPretrained();
  const results: PredictResult[] = await classify([face]);
  const first = results[0];
  if (!first.ok) throw new Error(first.error);
  console.log(JSON.stringify({ shape: data.testData?.shape, emotion: EMOTIONS.includes(first.emotion), classes: first.probabilities.length }));
  data.dispose();
  model.dispose();
}
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
`;

test('a consumer project compiles the README API with strict and skipLibCheck false, against production dependencies only, and runs it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facial-consumer-'));
  try {
    const run = (cmd: string, args: string[], cwd: string) =>
      execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], ROOT); // what npm pack packs
    const tarball = run('npm', ['pack', '--silent', '--pack-destination', dir], ROOT).trim().split('\n').pop()!;
    const modules = path.join(dir, 'node_modules');
    fs.mkdirSync(path.join(modules, 'facial-resnet'), { recursive: true });
    run('tar', ['-xzf', path.join(dir, tarball), '-C', path.join(modules, 'facial-resnet'), '--strip-components=1'], dir);
    // The production dependency tree, linked from this checkout's node_modules: its top-level
    // packages only (nested ones come inside their parents), plus the consumer's own @types/node.
    const prod = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], ROOT).split('\n');
    const top = new RegExp(`^${path.join(ROOT, 'node_modules').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/((@[^/]+/)?[^/@][^/]*)$`);
    const names = new Set(prod.map((p) => top.exec(p)?.[1]).filter((n): n is string => !!n));
    names.add('@types/node');
    assert.ok(!names.has('@types/papaparse'), 'a dev dependency must not be linked');
    for (const name of names) {
      fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(modules, name), 'dir');
    }
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'Node16',
          moduleResolution: 'Node16',
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          strict: true,
          skipLibCheck: false,
          esModuleInterop: true,
          outDir: 'out',
        },
        files: ['consumer.ts'],
      }),
    );
    fs.writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER);
    // tsc emits despite errors. tfjs's own .d.ts files have errors of their own under strict with
    // skipLibCheck false (tfjs-layers' PyJson types, tfjs-core's Long): not ours to fix, so they
    // are set aside. Every other diagnostic, in this package's .d.ts or the consumer's code, fails.
    let diagnostics = '';
    try {
      run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
    } catch (err) {
      diagnostics = (err as { stdout?: string }).stdout ?? String(err);
    }
    const ours = diagnostics.split('\n').filter((l) => /error TS\d+/.test(l) && !/node_modules\/@tensorflow\//.test(l));
    assert.deepEqual(ours, [], `the consumer does not compile:\n${ours.join('\n')}`);
    const out = JSON.parse(
      run(process.execPath, [path.join('out', 'consumer.js')], dir)
        .trim()
        .split('\n')
        .pop()!,
    );
    assert.deepEqual(out, { shape: [2, 48, 48, 1], emotion: true, classes: 7 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
