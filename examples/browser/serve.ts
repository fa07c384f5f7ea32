/**
 * A static server for the browser example: the page and its script from this folder,
 * tf.min.js from the installed @tensorflow/tfjs, and the shipped model under /model/.
 *
 *   npx ts-node examples/browser/serve.ts [--port 8080] [--model DIR]
 *
 * then open http://127.0.0.1:8080/. Listens on the loopback address only. The test drives it
 * with `report=1`, when the page POSTs its result to /result.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { PRETRAINED_MODEL_DIR } from '../../src/io/pretrained';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
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
    let file: string | null = null;
    if (url.pathname === '/tf.min.js') file = tfjs;
    else {
      const prefix = url.pathname.startsWith('/model/') ? '/model/' : '/';
      const rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
      const full = path.resolve(roots[prefix], rel);
      if (full.startsWith(path.resolve(roots[prefix]) + path.sep)) file = full; // nothing outside the two folders
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
