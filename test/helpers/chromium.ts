/**
 * Opening a page of examples/browser/ in headless Chromium and waiting for the result it posts
 * back (`?report=1`), as the browser tests do, in one place.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { startServer, ServeOptions } from '../../examples/browser/serve';

/** Debian's or Google's Chromium, when installed. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));

/**
 * False (after skipping `t`) when Chromium is missing outside CI; in CI a missing Chromium fails
 * the test, since .ci/run installs it.
 */
export function haveChromium(t: TestContext): boolean {
  if (CHROMIUM) return true;
  if (process.env.CI) assert.fail("Chromium is required in CI (.ci/run installs Debian's chromium)");
  t.skip('Chromium is not installed (apt-get install chromium)');
  return false;
}

/** One page visit. */
export interface PageVisit {
  /** The page and its query, under the server's root (e.g. 'index.html?backend=cpu&report=1'). */
  page: string;
  /** Chromium flags beyond the headless, sandbox-free, fresh-profile ones. */
  flags?: string[];
  /** How long the page may take to post its result. */
  timeoutMs: number;
  /** Passed to examples/browser/serve.ts (the model folder). */
  serve?: Omit<ServeOptions, 'onResult'>;
}

/**
 * Serves examples/browser/, opens `visit.page` in headless Chromium and resolves with the JSON
 * the page posts; the browser, its profile and the server are gone when it settles.
 */
export async function visitPage<T>(visit: PageVisit): Promise<T> {
  let resolve!: (r: T) => void;
  const got = new Promise<T>((ok) => {
    resolve = ok;
  });
  const { server, url } = await startServer({ ...visit.serve, onResult: (r) => resolve(r as T) });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  const browser = spawn(
    CHROMIUM!,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      ...(visit.flags ?? []),
      `--user-data-dir=${profile}`,
      `${url}${visit.page}`,
    ],
    // Its own process group, so the renderer and GPU processes go with it.
    { stdio: 'ignore', detached: true },
  );
  const exited = new Promise((ok) => browser.once('exit', ok));
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`no result from ${visit.page} within ${visit.timeoutMs / 1000} s`)), visit.timeoutMs);
    });
    return await Promise.race([got, timeout]);
  } finally {
    clearTimeout(timer);
    try {
      process.kill(-browser.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
    server.closeAllConnections();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
