/**
 * WebGPU tests run where an adapter exists (CI installs Mesa's lavapipe for one) and must not skip
 * in CI: with CI set, a missing adapter fails the test; elsewhere it skips with the reason.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { activateWebGpuBackend, WebGpuUnavailableError } from '../../src/engine/webgpu';
import type { StepTarget } from './step-compare';

let why: Promise<string | null> | null = null;

/** null once the webgpu backend is active (a software adapter is fine here), else why not. */
export function webgpuUnavailable(): Promise<string | null> {
  why ??= activateWebGpuBackend({ allowSoftware: true }).then(
    () => null,
    (err) => (err instanceof WebGpuUnavailableError ? `webgpu: ${err.message}` : Promise.reject(err)),
  );
  return why;
}

/** null when the webgpu backend is active; else the reason, after failing the test in CI. */
async function unavailableOutsideCi(): Promise<string | null> {
  const reason = await webgpuUnavailable();
  if (reason !== null && process.env.CI) assert.fail(`${reason} (CI must run the WebGPU tests: .ci/run installs Mesa's lavapipe)`);
  return reason;
}

/** True when the test should go on; skips it (or fails it in CI) otherwise. */
export async function needWebGpu(t: TestContext): Promise<boolean> {
  const reason = await unavailableOutsideCi();
  if (reason !== null) t.skip(reason);
  return reason === null;
}

/** For a test with a webgpu part: true when it can run; else (outside CI) notes why it is left out. */
export async function wantWebGpu(t: TestContext): Promise<boolean> {
  const reason = await unavailableOutsideCi();
  if (reason !== null) t.diagnostic(`webgpu left out: ${reason}`);
  return reason === null;
}

/** step-compare's target for the webgpu backend. */
export const WEBGPU_TARGET: StepTarget = {
  backend: 'webgpu',
  prepare: async () => {
    const reason = await webgpuUnavailable();
    if (reason) throw new Error(reason);
  },
};
