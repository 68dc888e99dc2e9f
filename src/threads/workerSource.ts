/**
 * Where a pool's workers come from: a factory, an absolute path, or a file URL.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors.js';
import type { ResourceLimits } from 'node:worker_threads';
import { isTypeScriptFile, NodeWorker } from './NodeWorker.js';

/**
 * The structural face of a threads.js `Worker` (or any Web/Node worker that
 * threads.js's `spawn` accepts). Kept here so our types never need the
 * `threads` package's own, which some module resolutions cannot find.
 */
export interface WorkerLike {
  // Parameters are `never` so that any worker class's own signatures (DOM or Node) fit.
  /** Sends `message` to the worker, moving the `transfer` list's items. */
  postMessage(message: never, transfer?: never): void;
  /** Stops the worker (it may return a promise of when it has stopped). */
  terminate(): unknown;
  /** Starts calling `listener` for the worker's events of `type` (`'message'`, `'error'`, …). */
  addEventListener(type: string, listener: never): void;
  /** Stops calling `listener` for events of `type`. */
  removeEventListener(type: string, listener: never): void;
}

/** How the pool itself calls a {@link WorkerLike}. */
export interface WorkerPort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  terminate(): unknown;
  addEventListener(type: string, listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: string, listener: (event: { data: unknown }) => void): void;
}

/** A function that returns a new threads.js `Worker` each time it is called: `() => new Worker('./tasks')`. */
export type WorkerFactory = () => WorkerLike;

/**
 * A pool's worker: a factory (relative paths then resolve from the caller's
 * file, as threads.js does), an absolute path, or a `file:` URL.
 */
export type WorkerSource = WorkerFactory | string | URL;

/** A checked worker source. */
export interface ResolvedSource {
  /** The worker file, when known (for error messages). */
  readonly file: string | undefined;
  /** Makes a new worker; throws when it cannot. */
  create(): WorkerPort;
}

const extensions = ['', '.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

/**
 * Checks a worker source synchronously; throws `InvalidOptionError` for the
 * wrong kind of value. `resourceLimits` apply to path and URL sources (a
 * factory passes its own to `new Worker`).
 */
export function resolveSource(worker: WorkerSource, resourceLimits?: ResourceLimits): ResolvedSource {
  if (typeof worker === 'function') {
    if (resourceLimits !== undefined) {
      throw new InvalidOptionError('resourceLimits', resourceLimits, 'a path or file: URL worker (a factory passes its own: () => new Worker(file, { resourceLimits }))');
    }
    return { file: undefined, create: () => worker() as unknown as WorkerPort };
  }
  const expected = 'a function returning a threads.js Worker, an absolute path, or a file: URL';
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
      typeof worker === 'string' ? `${expected} (to resolve a relative path from your file, pass () => new Worker("${worker}"))` : expected,
    );
  }
  const file = path;
  return {
    file,
    create() {
      const found = extensions.map((extension) => file + extension).find((candidate) => existsSync(candidate));
      if (!found) throw new Error(`no such file: ${file}`);
      if (isTypeScriptFile(found) && !canResolve('ts-node/register/transpile-only')) {
        throw new Error(`${found} is TypeScript and ts-node is not installed: install ts-node, or point the pool at the compiled .js file`);
      }
      return new NodeWorker(found, resourceLimits);
    },
  };
}

/** Whether the worker's `require`, which resolves from the working directory, finds `id`. */
function canResolve(id: string): boolean {
  try {
    createRequire(join(process.cwd(), 'worker.js')).resolve(id);
    return true;
  } catch {
    return false;
  }
}
