/** Atomic writes: a failed write names the file and leaves no temporary file behind. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/files/atomic';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-'));

test("disk full while writing names the file (Node's ENOSPC message names none)", () => {
  const file = path.join(dir, 'full.bin');
  // The module object itself (the namespace import only has getters onto it).
  const nodeFs = require('node:fs') as { writeFileSync: typeof fs.writeFileSync };
  const real = nodeFs.writeFileSync;
  nodeFs.writeFileSync = () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  try {
    assert.throws(
      () => writeFileAtomic(file, 'x'),
      (e: Error) => e.message === `cannot write ${file}: no space left on device`,
    );
  } finally {
    nodeFs.writeFileSync = real;
  }
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.startsWith('full.bin')),
    [],
    'no temporary file left',
  );
});
