/**
 * Where a pool's workers come from: a factory, an absolute path, or a file URL.
 *
 * @module
 */
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidOptionError } from '../errors.js';
import { resolvePathSource } from './platform.js';

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
  // Paths and file URLs: Node only (a browser bundle's platform module throws InvalidOptionError).
  return resolvePathSource(worker, resourceLimits);
}
