#!/usr/bin/env node
/* global require, process */
/**
 * The GPU machine's first check: which WebGPU adapter Dawn finds, through the library's own
 * engine code (so it is the adapter training gets), printed as one JSON object with the limits
 * that bound a batch. Exit 0 for a real GPU; exit 3 for a software adapter (lavapipe/llvmpipe,
 * SwiftShader) or none, so the far side stops in seconds instead of spending GPU-machine minutes
 * on a CPU rasteriser. ALLOW_CPU_ADAPTER=1 accepts a software adapter (the rehearsal here).
 *
 *   node adapter.js APP_DIR     (APP_DIR holds the built library's dist/ and its node_modules/)
 */
'use strict';
const path = require('node:path');

// Dawn's limits are getters on the prototype: JSON.stringify(adapter.limits) gives {}.
const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxBindGroups',
];

/** Which libvulkan this process loaded (the carried one or the machine's), read from /proc/self/maps. */
function vulkanLoader() {
  try {
    const m = require('node:fs')
      .readFileSync('/proc/self/maps', 'utf8')
      .match(/\S*libvulkan\.so\S*/);
    return m ? m[0] : 'none';
  } catch {
    return 'unknown';
  }
}

async function main() {
  const app = path.resolve(process.argv[2] || '.');
  const { requestAdapter, WebGpuUnavailableError } = require(path.join(app, 'dist/engine/webgpu/adapter.js'));
  let got;
  try {
    got = await requestAdapter();
  } catch (err) {
    if (!(err instanceof WebGpuUnavailableError)) throw err;
    process.stdout.write(JSON.stringify({ ok: false, error: err.message }) + '\n');
    process.stderr.write(
      `adapter: NONE: ${err.message}. Is the Vulkan loader there (ldconfig -p | grep libvulkan) and VK_DRIVER_FILES set to the NVIDIA ICD?\n`,
    );
    return 3;
  }
  const { adapter, report } = got;
  const limits = {};
  for (const k of LIMITS) limits[k] = adapter.limits[k];
  const info = adapter.info || {};
  const out = {
    ok: !report.software,
    vendor: report.vendor,
    architecture: report.architecture,
    device: info.device || '',
    description: report.description,
    software: report.software,
    isFallbackAdapter: adapter.isFallbackAdapter === true,
    limits,
    loader: vulkanLoader(),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  const line = `${report.vendor} / ${report.architecture} / ${report.description || info.device || '?'} (loader ${out.loader})`;
  if (report.software) {
    if (process.env.ALLOW_CPU_ADAPTER === '1') {
      process.stderr.write(`adapter: ${line}: a SOFTWARE adapter, accepted because ALLOW_CPU_ADAPTER=1 (rehearsal)\n`);
      return 0;
    }
    process.stderr.write(
      `adapter: STOP: ${line} is a software (CPU) adapter, not a GPU: Dawn found no GPU driver. ` +
        'Nothing was run. Set VK_DRIVER_FILES to the GPU vendor ICD (NVIDIA: /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json), ' +
        'or ALLOW_CPU_ADAPTER=1 to rehearse on it anyway.\n',
    );
    return 3;
  }
  process.stderr.write(
    `adapter: ${line}, maxBufferSize ${limits.maxBufferSize}, maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`adapter: failed: ${err.stack || err}\n`);
    process.exit(4);
  },
);
