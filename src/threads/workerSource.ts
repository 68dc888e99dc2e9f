/**
 * Where a pool's workers come from: a factory, an absolute path, or a file URL.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import { resolvePathSource } from './platform.js';
import { type ThreadOptions, threadOptionNames } from './threadOptions.js';
import type { ResolvedSource, WorkerPort } from './workerPort.js';

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

type Listener = (event: { data: unknown }) => void;

interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * What a factory returned, as the pool calls it. A Node worker is left as
 * it is when it speaks both ways (threads.js's), and given
 * `addEventListener` when it has only `on` (worker_threads'). A Web Worker's
 * `error` events, whose `error` is often empty (a module that failed to load
 * fires a bare `Event`), carry an `Error` that says what happened.
 */
function portOf(worker: WorkerLike): WorkerPort {
  const target = worker as Partial<WorkerPort> & Partial<Emitter>;
  if (
    typeof target.postMessage !== 'function' ||
    typeof target.terminate !== 'function' ||
    (typeof target.addEventListener !== 'function' && typeof target.on !== 'function')
  ) {
    throw new InvalidOptionError('worker', worker, 'a factory returning a worker (a Web Worker, a worker_threads Worker, or a threads.js Worker)');
  }
  if (typeof target.on === 'function')
    return typeof target.addEventListener === 'function' ? (worker as unknown as WorkerPort) : emitterPort(worker as unknown as WorkerPort & Emitter);
  return webPort(worker as unknown as WorkerPort);
}

/** A worker_threads Worker with the `addEventListener` face threads.js's `spawn` talks to (and its own, which the pool watches). */
function emitterPort(worker: WorkerPort & Emitter): WorkerPort & Emitter {
  const mapped = new Map<Listener, (data: unknown) => void>();
  const refable = worker as Partial<{ ref(): void; unref(): void }>;
  return {
    ref: () => refable.ref?.(),
    unref: () => refable.unref?.(),
    postMessage: (message: unknown, transfer?: readonly unknown[]) => worker.postMessage(message, transfer),
    terminate: () => worker.terminate(),
    on: (event: string, listener: (...args: unknown[]) => void) => worker.on(event, listener),
    off: (event: string, listener: (...args: unknown[]) => void) => worker.off(event, listener),
    addEventListener(type: string, listener: Listener) {
      const each = (data: unknown): void => listener({ data });
      mapped.set(listener, each);
      worker.on(type, each);
    },
    removeEventListener(type: string, listener: Listener) {
      const each = mapped.get(listener);
      if (!each) return;
      mapped.delete(listener);
      worker.off(type, each);
    },
  } as WorkerPort & Emitter;
}

/** A Web Worker whose `error` events carry an `Error`. */
function webPort(worker: WorkerPort): WorkerPort {
  const mapped = new Map<Listener, Listener>();
  return {
    postMessage: (message, transfer) => (transfer === undefined ? worker.postMessage(message) : worker.postMessage(message, transfer)),
    terminate: () => worker.terminate(),
    addEventListener(type, listener) {
      if (type !== 'error') {
        worker.addEventListener(type, listener);
        return;
      }
      const each = (event: unknown): void => listener({ data: undefined, error: errorOfEvent(event) } as { data: unknown });
      mapped.set(listener, each);
      worker.addEventListener(type, each);
    },
    removeEventListener(type, listener) {
      worker.removeEventListener(type, mapped.get(listener) ?? listener);
      mapped.delete(listener);
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
