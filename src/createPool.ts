/**
 * The public `createPool`: a pool of threads.js workers running one worker
 * module (`createWorkerPool`), with `createPool.fromFunctions` attached for
 * a pool of inline functions. Put together here, apart from both, so that
 * inline tasks, which start their pool with `createWorkerPool`, and
 * `createPool`, which carries them, import no circle.
 *
 * @module
 */
import { fromFunctions } from './inline/fromFunctions.js';
import type { Pool } from './Pool.js';
import type { TaskMap } from './tasks.js';
import type { WorkerSource } from './threads/workerSource.js';
import { createWorkerPool, type PoolOptions } from './workerPool.js';

export type { PoolOptions } from './workerPool.js';

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
  return createWorkerPool<T>(worker, options);
}

/**
 * A pool from self-contained functions, without a worker file (Node only):
 * `createPool.fromFunctions({ fib(n: number) { ... } }, { size: 2 })`.
 * Each function must use nothing defined outside it; `this` is the object of
 * the tasks; its signature below gives the details.
 */
createPool.fromFunctions = fromFunctions;
