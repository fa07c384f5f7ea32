/**
 * scripts/gpu/ferpack.js, which carries FER2013's faces to the GPU machine: the CSV it rebuilds
 * there is byte for byte the header and the Training + PublicTest rows of the original, and a
 * chunk damaged in transit stops the rebuild naming the chunk.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';

const FERPACK = path.join(ROOT, 'scripts', 'gpu', 'ferpack.js');
const SAMPLE = path.join(ROOT, 'data', 'fer2013-sample.csv.gz');

function ferpack(...args: string[]) {
  return spawnSync(process.execPath, [FERPACK, ...args], { encoding: 'utf8' });
}

test('ferpack: encode then decode gives back the Training and PublicTest rows exactly; a damaged chunk is refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferpack-'));
  try {
    const packed = path.join(dir, 'packed');
    const enc = ferpack('encode', '--csv', SAMPLE, '--out', packed, '--rows', '100');
    assert.equal(enc.status, 0, enc.stderr);
    const manifest = JSON.parse(fs.readFileSync(path.join(packed, 'fer-manifest.json'), 'utf8'));
    assert.ok(manifest.chunks.length > 1, 'the sample spans several chunks of 100 rows');

    const out = path.join(dir, 'fer2013.csv');
    const dec = ferpack('decode', '--dir', packed, '--out', out);
    assert.equal(dec.status, 0, dec.stderr);
    const lines = zlib.gunzipSync(fs.readFileSync(SAMPLE)).toString('latin1').split('\n');
    const want = [lines[0], ...lines.slice(1).filter((l) => /,(Training|PublicTest)$/.test(l))].join('\n') + '\n';
    assert.equal(fs.readFileSync(out, 'latin1'), want);
    assert.equal(manifest.rows, want.split('\n').length - 2);

    const chunk = path.join(packed, manifest.chunks[1].file);
    const body = fs.readFileSync(chunk);
    body[body.length - 1] ^= 1;
    fs.writeFileSync(chunk, body);
    const bad = ferpack('decode', '--dir', packed, '--out', path.join(dir, 'again.csv'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, new RegExp(`${manifest.chunks[1].file}: sha256 differs from the manifest`));
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith('again')),
      [],
      'no CSV, not even a partial one, is left behind',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
