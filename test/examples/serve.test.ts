/**
 * The modules examples/browser/serve.ts compiles for the webcam page under /lib/: each must
 * import only other served modules (a browser has no node_modules and no Node API), and the
 * page's own imports must all be served. A src/ change that pulls tfjs-layers or `fs` into one
 * of them fails here rather than as a blank page.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BROWSER_MODULES, browserModule } from '../../examples/browser/serve';

/** The module specifiers of an ES module's import / export-from statements. */
function specifiers(js: string): string[] {
  return [...js.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1]);
}

/** `spec`, imported by served module `from`, as a module name relative to src/ (as BROWSER_MODULES spells them). */
function resolved(from: string, spec: string): string {
  return path.posix.join(path.posix.dirname(from), spec).replace(/\.js$/, '');
}

test('every served module imports only other served modules', () => {
  for (const name of BROWSER_MODULES) {
    const js = browserModule(name);
    assert.ok(js, `${name} is not served`);
    for (const spec of specifiers(js)) {
      assert.ok(spec.startsWith('.') && spec.endsWith('.js'), `${name} imports '${spec}', which a browser cannot load`);
      const target = resolved(name, spec);
      assert.ok(BROWSER_MODULES.includes(target), `${name} imports ${target}, which serve.ts does not serve`);
    }
  }
});

test("the webcam page's imports are all served", () => {
  const page = fs.readFileSync(path.resolve(__dirname, '..', '..', 'examples', 'browser', 'webcam.js'), 'utf8');
  const libs = specifiers(page).filter((s) => s.startsWith('./lib/'));
  assert.ok(libs.length >= 5, `found only ${libs.length} /lib/ imports in webcam.js`);
  for (const spec of libs)
    assert.ok(browserModule(spec.slice('./lib/'.length, -'.js'.length)), `webcam.js imports ${spec}, which serve.ts does not serve`);
});

test('a module outside the list is not served', () => {
  assert.equal(browserModule('models/registry'), null);
  assert.equal(browserModule('../package'), null);
});
