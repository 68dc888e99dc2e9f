/**
 * `createPool`: a pool of threads.js workers running one worker module.
 *
 * @module
 */
import { checkInteger, checkOptionsObject } from './checks.js';
import { InvalidOptionError } from './errors.js';
import { fromFunctions } from './inlineTasks.js';
import { Pool } from './Pool.js';
import type { TaskMap } from './tasks.js';
import { ThreadsExecutor } from './threads/ThreadsExecutor.js';
import { defaultPoolSize } from './threads/platform.js';
import { type ResourceLimits, resolveSource, type WorkerSource } from './threads/workerSource.js';

/**
 * Options of {@link createPool}.
 *
 * @category Pools
 */
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
  /**
   * Replace a worker with a fresh one once it has run this many requests
   * (Python's `max_tasks_per_child`): for tasks that leak. Checked between
   * batches, never in the middle of one (a batch may take it a little past
   * the limit); no request notices. Default: never.
   */
  readonly maxTasksPerWorker?: number;
  /**
   * Replace a worker, between batches, once its V8 heap in use exceeds this
   * many megabytes (as tinypool's `maxMemoryLimitBeforeRecycle`). Default: never.
   */
  readonly maxHeapPerWorkerMb?: number;
  /**
   * Batches one worker runs at once, for async tasks that mostly wait (on
   * I/O, timers): the pool then runs up to `size × tasksPerWorker` at once,
   * sending each batch to the least-loaded worker. Default 1. A timeout or
   * `cancel: 'terminate'` that terminates a worker ends its other batches
   * as crashed, so they are rerun elsewhere (see `rerunOnCrash`).
   */
  readonly tasksPerWorker?: number;
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
 * import type { Tasks } from './tasks.worker.js';
 *
 * const pool = createPool<Tasks>(new URL('./tasks.worker.js', import.meta.url), { size: 4 });
 * // in a browser: createPool<Tasks>(() => new Worker(new URL('./tasks.worker.js', import.meta.url), { type: 'module' }))
 * // ...
 * await pool.close();
 * ```
 * @typeParam T - The worker module's task map (`typeof tasks`).
 * @param worker - A `file:` URL or an absolute path (Node; a `.ts` file runs
 * under the program's own loader, and a missing `.js` file's `.ts` source is
 * taken), or a function returning a worker: a Web Worker, a `worker_threads`
 * Worker, or a threads.js `Worker`.
 * @param options - See {@link PoolOptions}.
 * @returns The pool, starting its workers at once (`pool.ready` resolves when they are up). Close it with `close()`.
 * @throws InvalidOptionError for a bad `worker` or option, synchronously.
 * @see `createPool.fromFunctions(tasks, options)` for a pool from inline functions, without a worker file.
 *
 * @category Pools
 */
export function createPool<T extends TaskMap>(worker: WorkerSource, options?: PoolOptions): Pool<T> {
  const {
    size = defaultPoolSize(),
    startTimeout = 10_000,
    idleTimeout,
    taskTimeout,
    resourceLimits,
    terminateTimeout = 5000,
    maxTasksPerWorker,
    maxHeapPerWorkerMb,
    tasksPerWorker = 1,
  } = checkOptionsObject('options', options);
  checkInteger('tasksPerWorker', tasksPerWorker, 1);
  checkInteger('terminateTimeout', terminateTimeout, 1);
  if (maxTasksPerWorker !== undefined) checkInteger('maxTasksPerWorker', maxTasksPerWorker, 1);
  if (maxHeapPerWorkerMb !== undefined && !(typeof maxHeapPerWorkerMb === 'number' && maxHeapPerWorkerMb > 0)) {
    throw new InvalidOptionError('maxHeapPerWorkerMb', maxHeapPerWorkerMb, 'a positive number of megabytes');
  }
  checkInteger('size', size, 1);
  checkInteger('startTimeout', startTimeout, 1);
  if (idleTimeout !== undefined) checkInteger('idleTimeout', idleTimeout, 1);
  if (taskTimeout !== undefined) checkInteger('taskTimeout', taskTimeout, 1);
  if (resourceLimits !== undefined) checkOptionsObject('resourceLimits', resourceLimits);
  const executor = new ThreadsExecutor(resolveSource(worker, resourceLimits), {
    size,
    startTimeout,
    terminateTimeout,
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
    ...(maxTasksPerWorker === undefined ? {} : { maxTasksPerWorker }),
    ...(maxHeapPerWorkerMb === undefined ? {} : { maxHeapPerWorker: maxHeapPerWorkerMb * 2 ** 20 }),
    tasksPerWorker,
  });
  return new Pool<T>(executor, taskTimeout === undefined ? {} : { timeout: taskTimeout });
}

/**
 * A pool from self-contained functions, without a worker file (Node only):
 * `createPool.fromFunctions({ fib(n: number) { ... } }, { size: 2 })`.
 * Each function must use nothing defined outside it; `this` is the object of
 * the tasks; its signature below gives the details.
 */
createPool.fromFunctions = fromFunctions;
