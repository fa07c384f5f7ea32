/**
 * A static server for the browser examples: the pages and their scripts from this folder,
 * tf.min.js from the installed @tensorflow/tfjs, the shipped model under /model/, the face
 * detector's graph model (BlazeFace, from node_modules/@vladmandic/human/models) under
 * /detector/, and under /lib/ the few browser-safe modules of src/ that the webcam page shares
 * with Node (detection decoding, letterbox, framing, PIL resize), compiled from TypeScript on
 * request, so the page decodes and frames faces with the very code `facial predict` uses.
 *
 *   npx ts-node examples/browser/serve.ts [--port 8080] [--model DIR]
 *
 * then open http://127.0.0.1:8080/ (one face) or http://127.0.0.1:8080/webcam.html (a file or
 * the webcam). Listens on the loopback address only. The tests drive it with `report=1`, when
 * the page POSTs its result to /result.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as ts from 'typescript';
import { PRETRAINED_MODEL_DIR } from '../../src/io/pretrained';
import { blazeFaceModelPath } from '../../src/detection/detector';

/** The modules of src/ the webcam page imports: they use no Node API and import only each other. */
export const BROWSER_MODULES = [
  'detection/anchors',
  'detection/nms',
  'detection/decode',
  'detection/letterbox',
  'detection/framing',
  'detection/faces',
  'data/resize',
  'data/raw-image',
  'data/emotions',
  'data/input-preparation',
];
const SRC = path.resolve(__dirname, '..', '..', 'src');

/**
 * src/<name>.ts as an ES module for the browser: types stripped, and relative imports given
 * the `.js` ending that browsers need (Node resolves them without).
 */
export function browserModule(name: string): string | null {
  if (!BROWSER_MODULES.includes(name)) return null;
  const source = fs.readFileSync(path.join(SRC, `${name}.ts`), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2020, target: ts.ScriptTarget.ES2020 } }).outputText;
  return js.replace(/(from\s+'\.{1,2}\/[^']+)'/g, "$1.js'");
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

/** Options of startServer. */
export interface ServeOptions {
  port?: number;
  /** The model folder served as /model/ (default: the shipped model). */
  modelDir?: string;
  /** Called with the parsed body of each POST /result. */
  onResult?: (result: unknown) => void;
}

/** Starts the server on 127.0.0.1; resolves to it and its URL. */
export async function startServer(opts: ServeOptions = {}): Promise<{ server: http.Server; url: string }> {
  const roots: Record<string, string> = {
    '/model/': opts.modelDir ?? PRETRAINED_MODEL_DIR,
    '/detector/': path.dirname(blazeFaceModelPath()),
    '/': __dirname,
  };
  const tfjs = require.resolve('@tensorflow/tfjs/dist/tf.min.js');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/result') {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        res.end('ok');
        opts.onResult?.(JSON.parse(body));
      });
      return;
    }
    if (url.pathname.startsWith('/lib/') && url.pathname.endsWith('.js')) {
      const js = browserModule(url.pathname.slice('/lib/'.length, -'.js'.length));
      res.statusCode = js === null ? 404 : 200;
      res.setHeader('Content-Type', 'text/javascript');
      res.end(js ?? 'not found');
      return;
    }
    let file: string | null = null;
    if (url.pathname === '/tf.min.js') file = tfjs;
    else {
      const prefix = ['/model/', '/detector/'].find((p) => url.pathname.startsWith(p)) ?? '/';
      const rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
      const full = path.resolve(roots[prefix], rel);
      if (full.startsWith(path.resolve(roots[prefix]) + path.sep)) file = full; // nothing outside the served folders
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(opts.port ?? 0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  startServer({ port: Number(arg('--port') ?? 8080), modelDir: arg('--model') }).then(({ url }) =>
    process.stdout.write(`serving the browser example at ${url}\n`),
  );
}
