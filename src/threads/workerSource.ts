/**
 * Where a pool's workers come from: a factory, an absolute path, or a file URL.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import { resolvePathSource } from './platform.js';
import { type ThreadOptions, threadOptionNames } from './threadOptions.js';
import type { NodeWorkerPort, ResolvedSource, WebWorkerPort, WorkerPort } from './workerPort.js';

export type { ResourceLimits } from './threadOptions.js';

/**
 * A worker the pool can drive, described by shape so that no worker
 * library's types are needed: a Web Worker
 * (`new Worker(new URL('./tasks.worker.js', import.meta.url), { type: 'module' })`),
 * a Node `worker_threads` Worker, or a threads.js `Worker`.
 *
 * @category Pools
 */
export type WorkerLike = EventTargetWorker | EventEmitterWorker;

/**
 * The face of a Web Worker (and of threads.js's `Worker`): events through
 * `addEventListener`.
 *
 * @category Pools
 */
export interface EventTargetWorker {
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

/**
 * The face of a Node `worker_threads` Worker: events through `on` and `off`.
 *
 * @category Pools
 */
export interface EventEmitterWorker {
  /** Sends `message` to the worker, moving the `transfer` list's items. */
  postMessage(message: never, transfer?: never): void;
  /** Stops the worker; resolves with its exit code. */
  terminate(): unknown;
  /** Starts calling `listener` for the worker's events (`'message'`, `'error'`, `'exit'`, …). */
  on(event: string, listener: never): unknown;
  /** Stops calling `listener` for `event`. */
  off(event: string, listener: never): unknown;
}

/**
 * A function that returns a new worker each time it is called (the pool
 * calls it once per worker it starts, and again to replace one). In a
 * browser, return a native module worker, which every bundler (Vite,
 * webpack 5, Parcel) follows and bundles:
 * `() => new Worker(new URL('./tasks.worker.js', import.meta.url), { type: 'module' })`.
 *
 * @category Pools
 */
export type WorkerFactory = () => WorkerLike;

/**
 * A pool's worker: a factory, an absolute path, or a `file:` URL (the last
 * two on Node, where `.ts` files run under the loader the program runs under).
 *
 * @category Pools
 */
export type WorkerSource = WorkerFactory | string | URL;

/**
 * Checks a worker source synchronously; throws `InvalidOptionError` for the
 * wrong kind of value. The thread options (`resourceLimits`, `env`, …)
 * apply to path and URL sources (a factory passes its own to `new Worker`).
 */
export function resolveSource(worker: WorkerSource, options: ThreadOptions = {}): ResolvedSource {
  if (typeof worker === 'function') {
    const given = threadOptionNames.find((name) => options[name] !== undefined);
    if (given !== undefined) {
      throw new InvalidOptionError(given, options[given], `a path or file: URL worker (a factory passes its own: () => new Worker(file, { ${given} }))`);
    }
    return { file: undefined, create: () => portOf(worker()) };
  }
  // Paths and file URLs: Node only (a browser bundle's platform module throws InvalidOptionError).
  return resolvePathSource(worker, options);
}

/**
 * What a factory returned, as the pool calls it, checked by shape. A Node
 * worker (`on`: worker_threads', threads.js's) is driven as it is. A Web
 * Worker's `error` events, whose `error` is often empty (a module that
 * failed to load fires a bare `Event`), carry an `Error` that says what
 * happened.
 */
function portOf(worker: WorkerLike): WorkerPort {
  const target = worker as Partial<NodeWorkerPort> & Partial<WebWorkerPort>;
  if (
    typeof target.postMessage !== 'function' ||
    typeof target.terminate !== 'function' ||
    (typeof target.addEventListener !== 'function' && typeof target.on !== 'function')
  ) {
    throw new InvalidOptionError('worker', worker, 'a factory returning a worker (a Web Worker, a worker_threads Worker, or a threads.js Worker)');
  }
  if (typeof target.on === 'function') return worker as unknown as NodeWorkerPort;
  return webPort(worker as unknown as WebWorkerPort);
}

/** A Web Worker whose `error` events carry an `Error`. */
function webPort(worker: WebWorkerPort): WebWorkerPort {
  return {
    postMessage: (message, transfer) => (transfer === undefined ? worker.postMessage(message) : worker.postMessage(message, transfer)),
    terminate: () => worker.terminate(),
    addEventListener(type, listener) {
      if (type !== 'error') worker.addEventListener(type, listener);
      else worker.addEventListener(type, (event: unknown) => listener({ data: undefined, error: errorOfEvent(event) }));
    },
  };
}

/** The `Error` a Web Worker's `error` event stands for. */
function errorOfEvent(event: unknown): Error {
  const { error, message, filename, lineno, colno } = (event ?? {}) as {
    error?: unknown;
    message?: unknown;
    filename?: unknown;
    lineno?: unknown;
    colno?: unknown;
  };
  if (error instanceof Error) return error;
  if (typeof message === 'string' && message !== '') {
    return new Error(typeof filename === 'string' && filename !== '' ? `${message} (${filename}:${String(lineno)}:${String(colno)})` : message);
  }
  return new Error(
    'the worker script did not load (not found, not JavaScript, or a module worker without { type: "module" }): ' +
      'let the bundler emit it with new Worker(new URL("./tasks.worker.js", import.meta.url), { type: "module" }) inside the factory',
  );
}
