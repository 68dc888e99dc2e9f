/**
 * What the pool takes from its runtime, in Node: the default pool size,
 * threads.js's master side, and workers from paths and `file:` URLs.
 *
 * The package's `browser` field swaps this module for `platform.browser`,
 * so a browser bundle never loads Node's modules; the two export the same
 * names.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors.js';
import { nodeRequire } from '../nodeRequire.js';
import { NodeWorker } from './NodeWorker.js';
import { isTypeScriptFile, typeScriptProblem, typeScriptRunner, typeScriptWorkerUrl } from './typeScriptWorker.js';
export { inlineWorkerFactory } from '../inline/nodeWorkerScript.js';
import type { ThreadsMaster } from './threadsMaster.js';
import type { ResolvedSource } from './workerPort.js';
import type { ThreadOptions } from './threadOptions.js';

/** Workers a pool starts when its `size` is not given: Node's `availableParallelism()`. */
export function defaultPoolSize(): number {
  return availableParallelism();
}

/**
 * Loads threads.js's master side without its process-wide side effects.
 *
 * Loading `threads` installs SIGINT and SIGTERM handlers that call
 * `process.exit` (threads.js 1.7, `master/implementation.node`): they would
 * take graceful shutdown away from every application that imports this
 * library. It is loaded lazily, and the handlers that loading added are
 * removed. A user who imports `threads` themselves keeps threads.js's
 * behaviour.
 */
export function loadThreads(): ThreadsMaster {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = signals.map((signal) => new Set(process.listeners(signal)));
  const master = nodeRequire('threads') as ThreadsMaster;
  signals.forEach((signal, i) => {
    for (const listener of process.listeners(signal)) {
      if (!before[i].has(listener)) process.off(signal, listener);
    }
  });
  return master;
}

const extensions = ['', '.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

/**
 * The files a worker path may name, in order: itself, itself with an
 * extension added, and for `x.js` (`.mjs`, `.cjs`) its TypeScript source
 * `x.ts` (`.mts`, `.cts`), as TypeScript's own imports map them: the same
 * `new URL('./tasks.worker.js', import.meta.url)` then finds the compiled
 * file after `tsc`, and the source under tsx or type stripping.
 */
function candidates(file: string): string[] {
  const source = /\.([cm]?)js$/.exec(file);
  const all = extensions.map((extension) => file + extension);
  return source ? [...all, `${file.slice(0, -source[0].length)}.${source[1]}ts`] : all;
}

/** `resolveSource` for a worker given as an absolute path or a `file:` URL. */
export function resolvePathSource(worker: unknown, options: ThreadOptions = {}): ResolvedSource {
  const expected = 'a file: URL, an absolute path, or a function returning a worker';
  let path: string;
  if (worker instanceof URL || (typeof worker === 'string' && worker.startsWith('file:'))) {
    if (new URL(worker).protocol !== 'file:') throw new InvalidOptionError('worker', String(worker), expected);
    path = fileURLToPath(worker);
  } else if (typeof worker === 'string' && isAbsolute(worker)) {
    path = worker;
  } else {
    throw new InvalidOptionError(
      'worker',
      worker,
      typeof worker === 'string'
        ? `${expected} (for a path relative to your file: new URL("${worker}", import.meta.url), join(__dirname, "${worker}"), or () => new Worker("${worker}") with threads.js's Worker)`
        : expected,
    );
  }
  const file = path;
  return {
    file,
    create() {
      const found = candidates(file).find((candidate) => existsSync(candidate));
      if (!found) throw new Error(`no such file: ${file}`);
      if (!isTypeScriptFile(found)) return new NodeWorker(found, options);
      const runner = typeScriptRunner();
      if (runner.problem) throw new Error(typeScriptProblem(found, runner.problem));
      return new NodeWorker(typeScriptWorkerUrl(found, runner), options);
    },
  };
}
