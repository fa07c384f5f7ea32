#!/usr/bin/env node
/* global require, process, Buffer, __filename */
/**
 * FER2013's faces packed small enough to travel to the GPU machine (64 MiB per command, the
 * project's own tracked files included), and unpacked there into the CSV `facial train --data`
 * reads. Plain JavaScript with no dependencies: it runs on the carried Node, with no build.
 *
 * Why not gzip the CSV itself: measured on Training + PublicTest (32,298 rows), the CSV text is
 * 271 MB and gzip -9 leaves 84.6 MB; raw uint8 pixels are 74.4 MB and xz -9 leaves 56.7 MB. Each
 * pixel minus the LOCO-I (median edge) prediction from its left, upper and upper-left neighbours,
 * zigzag-coded, leaves ~49.7 MB under xz -9: the ~7 MB that let the data and the bundle fit two
 * commands. An adaptive context coder would save only ~1.5 MB more (measured entropy 5.18
 * bits/pixel), not worth a coder of our own. xz itself is applied by pack.sh, outside.
 *
 *   node ferpack.js encode --csv fer2013.csv.gz --out DIR [--rows 1024] [--usage Training,PublicTest]
 *     writes DIR/fer-NNN.bin (one chunk of rows each) and DIR/fer-manifest.json
 *   node ferpack.js decode --dir DIR --out fer2013.csv
 *     reads DIR/fer-manifest.json and every chunk it names; writes the CSV, byte for byte the
 *     header and the kept rows of the original (checked against the manifest's sha256)
 *
 * A chunk: 'FER1', uint32le row count n, then n label bytes, n usage bytes (index into the
 * manifest's usages), then n x 2304 residual bytes, image after image, row-major.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const readline = require('node:readline');

const SIDE = 48;
const PIXELS = SIDE * SIDE;
const HEADER = 'emotion,pixels,Usage';
const MAGIC = 'FER1';

function fail(msg) {
  process.stderr.write(`ferpack: ${msg}\n`);
  process.exit(2);
}

function flags(argv, names) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!names.includes(k) || i + 1 >= argv.length)
      fail(`unknown or incomplete flag '${argv[i]}' (expected ${names.map((n) => '--' + n).join(', ')})`);
    out[k] = argv[i + 1];
  }
  return out;
}

/** LOCO-I's median edge predictor; outside the image the left neighbour stands in for the upper ones and vice versa. */
function predict(img, o, y, x) {
  if (y === 0) return x === 0 ? 0 : img[o + x - 1];
  if (x === 0) return img[o + (y - 1) * SIDE];
  const a = img[o + y * SIDE + x - 1];
  const b = img[o + (y - 1) * SIDE + x];
  const c = img[o + (y - 1) * SIDE + x - 1];
  const hi = a > b ? a : b;
  const lo = a > b ? b : a;
  return c >= hi ? lo : c <= lo ? hi : a + b - c;
}

/** Residuals of `n` images of `px` (uint8, image-major) into `out`, zigzag-coded (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...). */
function encodeImages(px, n, out) {
  for (let i = 0; i < n; i++) {
    const o = i * PIXELS;
    for (let y = 0; y < SIDE; y++)
      for (let x = 0; x < SIDE; x++) {
        let s = (px[o + y * SIDE + x] - predict(px, o, y, x)) & 255;
        if (s >= 128) s -= 256;
        out[o + y * SIDE + x] = s >= 0 ? 2 * s : -2 * s - 1;
      }
  }
}

/** The inverse of encodeImages, in place order: each pixel is predicted from pixels already decoded. */
function decodeImages(res, n, px) {
  for (let i = 0; i < n; i++) {
    const o = i * PIXELS;
    for (let y = 0; y < SIDE; y++)
      for (let x = 0; x < SIDE; x++) {
        const z = res[o + y * SIDE + x];
        const s = z & 1 ? -((z + 1) >> 1) : z >> 1;
        px[o + y * SIDE + x] = (predict(px, o, y, x) + s) & 255;
      }
  }
}

async function encode(argv) {
  const f = flags(argv, ['csv', 'out', 'rows', 'usage']);
  if (!f.csv || !f.out) fail('encode needs --csv FILE and --out DIR');
  const perChunk = Number(f.rows ?? 1024);
  if (!Number.isInteger(perChunk) || perChunk < 1) fail(`--rows: expected a positive integer, got '${f.rows}'`);
  const usages = (f.usage ?? 'Training,PublicTest').split(',');
  if (!fs.existsSync(f.csv)) fail(`--csv ${f.csv}: no such file`);
  fs.mkdirSync(f.out, { recursive: true });
  let input = fs.createReadStream(f.csv);
  if (f.csv.endsWith('.gz')) input = input.pipe(zlib.createGunzip());
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const csvHash = crypto.createHash('sha256');
  let csvBytes = 0;
  const emit = (s) => {
    const b = Buffer.from(s + '\n', 'latin1');
    csvHash.update(b);
    csvBytes += b.length;
  };
  const chunks = [];
  const counts = {};
  let labels = [];
  let uses = [];
  let px = new Uint8Array(perChunk * PIXELS);
  const flush = () => {
    const n = labels.length;
    if (!n) return;
    const res = new Uint8Array(n * PIXELS);
    encodeImages(px, n, res);
    const head = Buffer.alloc(8);
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(n, 4);
    const body = Buffer.concat([head, Buffer.from(labels), Buffer.from(uses), Buffer.from(res.buffer, res.byteOffset, res.byteLength)]);
    const file = `fer-${String(chunks.length).padStart(3, '0')}.bin`;
    fs.writeFileSync(path.join(f.out, file), body);
    chunks.push({ file, rows: n, sha256: crypto.createHash('sha256').update(body).digest('hex') });
    labels = [];
    uses = [];
  };
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (lineNo === 1) {
      if (line !== HEADER) fail(`${f.csv}:1: expected the header '${HEADER}', got '${line.slice(0, 60)}'`);
      emit(line);
      continue;
    }
    if (!line) continue;
    const [emotion, pixels, usage, ...rest] = line.split(',');
    if (rest.length || usage === undefined) fail(`${f.csv}:${lineNo}: expected 3 fields`);
    const u = usages.indexOf(usage);
    if (u < 0) continue;
    const values = pixels.split(' ').map(Number);
    const label = Number(emotion);
    if (values.length !== PIXELS || values.some((v) => !(Number.isInteger(v) && v >= 0 && v <= 255)))
      fail(`${f.csv}:${lineNo}: expected ${PIXELS} integers 0..255`);
    if (!(Number.isInteger(label) && label >= 0 && label <= 6)) fail(`${f.csv}:${lineNo}: emotion '${emotion}' is not 0..6`);
    // The far side writes rows back as label,pixels,usage: only text in exactly that form round-trips.
    if (`${label},${values.join(' ')},${usage}` !== line) fail(`${f.csv}:${lineNo}: row is not in canonical form, it would not round-trip`);
    px.set(values, labels.length * PIXELS);
    labels.push(label);
    uses.push(u);
    counts[usage] = (counts[usage] ?? 0) + 1;
    emit(line);
    if (labels.length === perChunk) flush();
  }
  flush();
  const manifest = {
    format: 'ferpack-1',
    source: path.basename(f.csv),
    usages,
    counts,
    rows: chunks.reduce((s, c) => s + c.rows, 0),
    csv_bytes: csvBytes,
    csv_sha256: csvHash.digest('hex'),
    chunks,
  };
  fs.writeFileSync(path.join(f.out, 'fer-manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  process.stdout.write(`ferpack: ${manifest.rows} rows (${JSON.stringify(counts)}) in ${chunks.length} chunks under ${f.out}\n`);
}

function decode(argv) {
  const f = flags(argv, ['dir', 'out']);
  if (!f.dir || !f.out) fail('decode needs --dir DIR and --out FILE');
  const mpath = path.join(f.dir, 'fer-manifest.json');
  if (!fs.existsSync(mpath)) fail(`${mpath}: no manifest`);
  const manifest = JSON.parse(fs.readFileSync(mpath, 'utf8'));
  const missing = manifest.chunks.filter((c) => !fs.existsSync(path.join(f.dir, c.file))).map((c) => c.file);
  if (missing.length)
    fail(`${f.dir}: ${missing.length} of ${manifest.chunks.length} chunks missing (${missing.slice(0, 4).join(', ')}...)`);
  const num = Array.from({ length: 256 }, (_, i) => String(i));
  const hash = crypto.createHash('sha256');
  const tmp = `${f.out}.partial`;
  const fd = fs.openSync(tmp, 'w');
  // A half-written CSV must not look like data to a later run.
  const bail = (msg) => {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    fail(msg);
  };
  const write = (s) => {
    const b = Buffer.from(s, 'latin1');
    hash.update(b);
    fs.writeSync(fd, b);
  };
  write(HEADER + '\n');
  let rows = 0;
  for (const c of manifest.chunks) {
    const file = path.join(f.dir, c.file);
    const body = fs.readFileSync(file);
    if (crypto.createHash('sha256').update(body).digest('hex') !== c.sha256)
      bail(`${file}: sha256 differs from the manifest (damaged in transit?)`);
    if (body.toString('latin1', 0, 4) !== MAGIC) bail(`${file}: not a ferpack chunk`);
    const n = body.readUInt32LE(4);
    const labels = body.subarray(8, 8 + n);
    const uses = body.subarray(8 + n, 8 + 2 * n);
    const px = new Uint8Array(n * PIXELS);
    decodeImages(body.subarray(8 + 2 * n), n, px);
    const out = [];
    for (let i = 0; i < n; i++) {
      const p = new Array(PIXELS);
      for (let k = 0; k < PIXELS; k++) p[k] = num[px[i * PIXELS + k]];
      out.push(`${labels[i]},${p.join(' ')},${manifest.usages[uses[i]]}\n`);
    }
    write(out.join(''));
    rows += n;
  }
  const got = hash.digest('hex');
  if (got !== manifest.csv_sha256) bail(`${f.out}: the rebuilt rows' sha256 ${got} differs from the manifest's ${manifest.csv_sha256}`);
  fs.closeSync(fd);
  fs.renameSync(tmp, f.out);
  process.stdout.write(`ferpack: wrote ${f.out} (${rows} rows, ${JSON.stringify(manifest.counts)}, sha256 matches)\n`);
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'encode') encode(rest).catch((e) => fail(e.stack || String(e)));
else if (cmd === 'decode') decode(rest);
else fail(`usage: ${path.basename(__filename)} encode --csv FILE --out DIR | decode --dir DIR --out FILE`);
