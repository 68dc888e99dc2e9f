/**
 * `createPool`: a pool of threads.js workers running one worker module.
 *
 * @module
 */
import type { ResourceLimits } from 'node:worker_threads';
import { checkInteger, checkOptionsObject } from './checks';
import { Pool } from './Pool';
import { onNode } from './runtime';
import type { TaskMap } from './tasks';
import { ThreadsExecutor } from './threads/ThreadsExecutor';
import { resolveSource, type WorkerSource } from './threads/workerSource';

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** Worker threads to start. Default: the number of CPUs (Node's `availableParallelism()`; in a browser, `navigator.hardwareConcurrency`). */
  readonly size?: number;
  /** How long a worker may take to load and call `exposeTasks()`, in ms. Default 10000. */
  readonly startTimeout?: number;
  /**
   * How long (ms) an idle worker waits before its thread exits; the slot
   * stays (it counts in `size`) and starts a thread again when work comes.
   * Default: idle workers stay. Idle workers never keep the process alive.
   */
  readonly idleTimeout?: number;
  /**
   * The default `timeout` (ms) of every pipeline on this pool: a request
   * running longer ends with `TaskTimeoutError` and its worker is terminated
   * and replaced. Counted from the moment the request starts running. A
   * pipeline's own `timeout` option wins. Default: no limit.
   */
  readonly taskTimeout?: number;
  /**
   * Memory limits of each worker thread (Node's `resourceLimits`): a task
   * that allocates past them ends with `WorkerCrashedError` ("ran out of
   * memory"), for that request only, and the worker is replaced; limits too
   * low to start a worker reject the pool with `WorkerStartError`. For a
   * path or URL worker; a factory passes them to its own `new Worker`.
   */
  readonly resourceLimits?: ResourceLimits;
  /**
   * How long (ms) the pool waits for a worker it terminates (on timeout,
   * cancel, dismiss, crash or close) before it stops waiting and moves on:
   * `terminate()` itself can hang. Default 5000.
   */
  readonly terminateTimeout?: number;
}

/**
 * Starts a pool of worker threads, each loading the same worker module (a
 * module that calls `exposeTasks` from `rxjs-threadpool/worker`).
 *
 * Returns at once; requests queue until workers are ready. A worker that
 * cannot start fails the pool fast: `ready` rejects and every request ends
 * with `WorkerStartError`, naming the file and the cause.
 *
 * @example
 * ```ts
 * import { Worker } from 'threads';
 * import type { Tasks } from './tasks.worker';
 *
 * const pool = createPool<Tasks>(() => new Worker('./tasks.worker'), { size: 4 });
 * // or: createPool<Tasks>(new URL('./tasks.worker.js', import.meta.url))
 * // ...
 * await pool.close();
 * ```
 * @typeParam T - The worker module's task map (`typeof tasks`).
 * @param worker - A function returning a threads.js `Worker` (relative paths
 * resolve from your file), an absolute path, or a `file:` URL.
 * @param options - See {@link PoolOptions}.
 * @throws InvalidOptionError for a bad `worker` or option, synchronously.
 */
export function createPool<T extends TaskMap>(worker: WorkerSource, options?: PoolOptions): Pool<T> {
  const { size = defaultSize(), startTimeout = 10_000, idleTimeout, taskTimeout, resourceLimits, terminateTimeout = 5000 } = checkOptionsObject('options', options);
  checkInteger('terminateTimeout', terminateTimeout, 1);
  checkInteger('size', size, 1);
  checkInteger('startTimeout', startTimeout, 1);
  if (idleTimeout !== undefined) checkInteger('idleTimeout', idleTimeout, 1);
  if (taskTimeout !== undefined) checkInteger('taskTimeout', taskTimeout, 1);
  if (resourceLimits !== undefined) checkOptionsObject('resourceLimits', resourceLimits);
  const executor = new ThreadsExecutor(resolveSource(worker, resourceLimits), { size, startTimeout, terminateTimeout, ...(idleTimeout === undefined ? {} : { idleTimeout }) });
  return new Pool<T>(executor, taskTimeout === undefined ? {} : { timeout: taskTimeout });
}

/** The number of CPUs: Node's `availableParallelism()`, or in a browser `navigator.hardwareConcurrency` (4 when unknown). */
function defaultSize(): number {
  if (onNode()) {
    // Loaded lazily, so a browser bundle never runs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:os') as typeof import('node:os')).availableParallelism();
  }
  const cpus = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof cpus === 'number' && Number.isInteger(cpus) && cpus > 0 ? cpus : 4;
}
