import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/select';
import { adapterLine, describeAdapter } from '../../src/engine/webgpu/adapter';

// tfjs-node(-gpu) cannot be installed on this network, so the checks below pin down how the
// selector behaves when they are absent: they are passed over with a reason, never used.
const nativeInstalled = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

test('a forced backend is used and reported', async () => {
  const info = await selectBackend('cpu', { quiet: true });
  assert.equal(info.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(info.reasons, []);
});

test('FACIAL_BACKEND forces a backend when no flag is given, and the flag wins over it', async () => {
  process.env.FACIAL_BACKEND = 'cpu';
  try {
    assert.equal((await selectBackend(undefined, { quiet: true })).name, 'cpu');
    assert.match((await selectBackend('wasm', { quiet: true })).name, /^wasm(-threaded)?$/);
  } finally {
    delete process.env.FACIAL_BACKEND;
  }
});

test('an unknown backend name is an error naming the flag or the variable', async () => {
  await assert.rejects(selectBackend('tpu', { quiet: true }), /--backend: unknown backend 'tpu'/);
  process.env.FACIAL_BACKEND = 'gpu';
  try {
    await assert.rejects(selectBackend(undefined, { quiet: true }), /FACIAL_BACKEND: unknown backend 'gpu'/);
  } finally {
    delete process.env.FACIAL_BACKEND;
  }
});

test(
  'the default order skips absent native backends and a machine without a GPU with a reason, and lands on wasm, threaded on 2+ cores',
  { skip: nativeInstalled('@tensorflow/tfjs-node') || nativeInstalled('@tensorflow/tfjs-node-gpu') },
  async () => {
    const info = await selectBackend(undefined, { quiet: true });
    const multiCore = os.cpus().length > 1;
    assert.equal(info.name, multiCore ? 'wasm-threaded' : 'wasm');
    assert.equal(tf.getBackend(), info.name);
    assert.equal(info.reasons[0], 'tfjs-node-gpu: not installed');
    // This machine has no GPU: either no device node at all, or only a software Vulkan adapter.
    assert.match(
      info.reasons[1],
      /^webgpu: (no GPU device|software adapter .*used only when asked for \(--backend webgpu\)|not installed|no WebGPU adapter)/,
    );
    assert.equal(info.reasons[2], 'tfjs-node: not installed');
    assert.equal(info.reasons.length, multiCore ? 3 : 4);
  },
);

test(
  'forcing an absent native backend is an error, not a silent fallback',
  { skip: nativeInstalled('@tensorflow/tfjs-node') },
  async () => {
    const before = tf.getBackend();
    await assert.rejects(selectBackend('tfjs-node', { quiet: true }), /tfjs-node: not installed/);
    assert.equal(tf.getBackend(), before);
  },
);

test('a WebGPU adapter is software when Dawn marks it fallback, says "software", or is a known rasteriser', () => {
  const limits = { maxBufferSize: 2 ** 32 - 1, maxStorageBufferBindingSize: 2 ** 27 };
  const lavapipe = describeAdapter({
    info: { vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' },
    isFallbackAdapter: true,
    limits,
  });
  assert.equal(lavapipe.software, true);
  assert.equal(adapterLine(lavapipe), 'mesa llvmpipe: Mesa 25.0.7 (LLVM 15.0.6), software (fallback) adapter');
  assert.equal(describeAdapter({ info: { vendor: 'google', description: 'SwiftShader Device' }, limits }).software, true);
  const nvidia = describeAdapter({ info: { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }, limits });
  assert.equal(nvidia.software, false);
  assert.equal(adapterLine(nvidia), 'nvidia NVIDIA H200, hopper GPU');
  assert.equal(nvidia.maxStorageBufferBindingSize, 2 ** 27);
});

test('without the optional webgpu package: the default choice goes on, and --backend webgpu says it is not installed', () => {
  // A preload that makes require('webgpu') fail as on a platform npm skipped it for.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'no-webgpu-'));
  const hide = path.join(dir, 'hide-webgpu.js');
  fs.writeFileSync(
    hide,
    "const M = require('module'); const r = M._resolveFilename; M._resolveFilename = function (req, ...a) {" +
      " if (req === 'webgpu') { const e = new Error(\"Cannot find module 'webgpu'\"); e.code = 'MODULE_NOT_FOUND'; throw e; } return r.call(this, req, ...a); };",
  );
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['-r', hide, '-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, FACIAL_BACKEND: '' },
    });
  const face = path.join(ROOT, 'examples', 'browser', 'face.png');
  const forced = run('predict', face, '--backend', 'webgpu');
  assert.equal(forced.status, 1);
  assert.match(
    forced.stderr,
    /backend 'webgpu' is not available: webgpu: not installed \(npm install webgpu@0\.6\.2 next to facial-resnet/,
  );
  const auto = run('predict', face, '--json');
  assert.equal(auto.status, 0, auto.stderr);
  assert.match(auto.stdout, /"emotion"/);
});
