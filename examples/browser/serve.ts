/**
 * A tiny static file server for the browser example (Node's `http`, no
 * dependency), and the `npm run example:browser` command: build (with
 * esbuild, or the bundler named: `npm run example:browser -- vite`), then
 * serve on http://127.0.0.1:8080/ (`PORT=...` to change).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { type Bundler, buildExample, bundlers } from './build';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** A running server. */
export interface StaticServer {
  /** Its address, ending with `/`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the files under `root` on `host`:`port` (port 0: a free one). */
export function serveFolder(root: string, port = 0, host = '127.0.0.1'): Promise<StaticServer> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      response.writeHead(403).end('forbidden');
      return;
    }
    readFile(file).then(
      (body) => response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body),
      () => response.writeHead(404, { 'content-type': 'text/plain' }).end('not found'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${actual}/`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 8080);
  const bundler = (process.argv[2] ?? 'esbuild') as Bundler;
  if (!bundlers.includes(bundler)) throw new Error(`usage: npm run example:browser -- [${bundlers.join('|')}]`);
  buildExample(bundler)
    .then((folder) => serveFolder(folder, port))
    .then(
      ({ url }) => console.log(`rxjs-threadpool browser example: open ${url} (Ctrl-C to stop)`),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
}
