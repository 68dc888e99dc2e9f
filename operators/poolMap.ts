/**
 * `poolMap`, the operator's face: its signatures, its options' type and its
 * documentation. It checks its arguments when called and returns an
 * operator whose every subscription runs in `internal/poolMapSubscription`
 * (as RxJS's `mergeMap` is one call into `mergeInternals`); no source value
 * passes through this file.
 *
 * @module
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../src/errors.js';
import type { Outcome, Progress } from '../src/outcomes.js';
import { Pool } from '../src/Pool.js';
import type { WorkRequest } from '../src/requests.js';
import type { BatchSize } from '../src/scheduler/batchSizing.js';
import type { TaskArgs, TaskInput, TaskMap, TaskName, TaskProgress, TaskResult } from '../src/tasks.js';
import type { Transferable } from '../src/transfer.js';
import type { Key } from '../src/keys.js';
import { resolvePoolMapOptions } from './internal/options.js';
import { subscribePoolMap } from './internal/poolMapSubscription.js';

/**
 * Options of {@link poolMap}.
 *
 * @typeParam A - The task's argument list (what `transfer` receives).
 */
export interface PoolMapOptions<A extends readonly unknown[] = unknown[]> {
  /**
   * How many queued requests travel to a worker in one message (each still
   * yields its own outcome). `'auto'` (the default) sends one at a time until
   * it has measured the task, then batches only tasks that take under 1 ms,
   * sized to a few ms of work and a fair share of the queue per worker.
   * Requests whose arguments copy 64 KiB or more (typed arrays, buffers,
   * strings) travel one per message, at least two to a batch, so the worker
   * runs one while the next is copied. A number fixes the largest batch; `1`
   * turns batching off.
   */
  readonly batch?: BatchSize;
  /**
   * Emit outcomes in request order (like Python's `imap` rather than
   * `imap_unordered`). `true` buffers at most 1000 outcomes (running and
   * waiting for an earlier one); `{ buffer: n }` sets that bound. While the
   * buffer is full no further request of this pipeline starts. Default `false`.
   */
  readonly ordered?:
    | boolean
    | {
        /** The most outcomes held back (running, or finished and waiting for an earlier one); at least 1. */
        readonly buffer: number;
      };
  /**
   * The transferables of a request's arguments (ArrayBuffers and the like),
   * moved to the worker instead of copied; the main thread loses access to
   * them. For results, the task returns `transfer(value, [buffers])` from
   * `rxjs-threadpool/worker`.
   */
  readonly transfer?: (...args: A) => readonly Transferable[];
  /**
   * Keys the pipeline: the request's key (a string or a finite number) from
   * its arguments, as `transfer` gets them (for a plain source value, the
   * value). Requests with the same key run one at a time, in arrival
   * order, on the worker that owns the key (a task reads it as `this.key`,
   * and may keep state per key in the worker); different keys run in
   * parallel, and a key's outcomes come out in its order. Batches carry
   * many keys, each key's share of a batch even, so a hot key holds up the
   * keys sharing its worker for at most about one batch. A key stays on its
   * worker while the worker lives; when the worker ends (crash, dismissal,
   * recycling, idle retirement) its keys move to live workers, and when the
   * pool grows, keys with nothing running may move to the new workers (the
   * worker losing one is told first: `keyReleased` in `exposeTasks`'
   * options). State kept per key in a worker does not travel with it. A
   * `key` that throws or returns anything else ends that request with
   * `CallbackError` (option `'key'`); the stream goes on. On a queue pool
   * keys run in order across hosts, one job per key at a time, with no host
   * affinity. Default: no key.
   *
   * ```text
   * pool of 2 workers, each request takes 3 frames; a and c have key 1, b has key 2
   *
   * source:  abc|
   *          poolMap(pool, 'task', { key })
   * output:  ---AB-(C|)
   *
   * c waits for a (its key is running), then runs on a's worker
   * ```
   */
  readonly key?: (...args: A) => Key;
  /**
   * Run a request once more, alone, when its worker died under it (default
   * `true`): an innocent request that shared a worker with a crashing one
   * still gets its result, while a request that takes down a worker twice
   * ends with `WorkerCrashedError`. So a request may run twice; set `false`
   * for tasks that must not.
   */
  readonly rerunOnCrash?: boolean;
  /**
   * Bound the requests waiting for a worker in this pipeline. When `size`
   * are waiting, `overflow` decides (default `'error'`): `'error'` ends the
   * arriving request with `QueueFullError` (reason `'full'`), `'drop-newest'`
   * likewise with reason `'dropped'`, `'drop-oldest'` ends the
   * longest-waiting request with `QueueFullError` (reason `'dropped'`) and
   * queues the arriving one. Either way every request still yields exactly
   * one outcome. A {@link pullFrom} source is never overflowed: it is pulled
   * only while there is room (`size` defaults to 1000 there). Default: unbounded.
   */
  readonly queue?: {
    /** The most requests of this pipeline waiting for a worker; at least 1. */
    readonly size: number;
    /** What happens to a request that arrives when `size` are waiting. Default `'error'`. */
    readonly overflow?: 'error' | 'drop-newest' | 'drop-oldest';
  };
  /**
   * The longest a request may run, in ms (frames on a virtual pool), counted
   * from the moment it starts on a worker, not while it waits in the queue.
   * A request running longer ends with `TaskTimeoutError` and the worker it
   * was stuck in is terminated and replaced, so an endless loop cannot keep a
   * worker for ever (a task that reads `this.signal` sees it abort first, and
   * keeps its worker if it stops within `cancelGrace`); a result arriving
   * later is dropped. Requests with a
   * timeout are not batched. Default: the pool's `taskTimeout`, else none.
   * On a queue pool it counts from the moment the job is queued.
   */
  readonly timeout?: number;
  /**
   * What unsubscribing (or `signal`) does to this pipeline's running
   * requests. Queued ones never start either way. `'abandon'` (the default)
   * lets them finish and drops their outcomes; `'terminate'` cancels them:
   * a task that reads its signal (`this.signal`) sees it abort and gets
   * `cancelGrace` ms to stop, keeping its worker; one that does not is
   * terminated with its worker, and a fresh worker starts. Other
   * pipelines' requests are not cancelled (with `tasksPerWorker` > 1, one
   * that shared a terminated worker is rerun). On a queue pool
   * (`rxjs-threadpool/bullmq`) `'terminate'` acts as `'abandon'`.
   */
  readonly cancel?: 'abandon' | 'terminate';
  /**
   * After a timeout or a cancel (`cancel: 'terminate'`, `signal`), how long
   * (ms; frames on a virtual pool) a task that reads its signal
   * (`this.signal`) may take to settle before its worker is terminated. The
   * request's outcome does not wait for it: it is the timeout's or the
   * cancel's at once. A task that never read its signal is terminated at
   * once. Default: the pool's `cancelGrace`, else 1000.
   */
  readonly cancelGrace?: number;
  /**
   * Cancels this pipeline when aborted: the stream completes at once, as if
   * the subscriber had unsubscribed (see `cancel`); no outcome follows. The
   * pipeline's one listener is removed when it ends, however it ends.
   */
  readonly signal?: AbortSignal;
  /**
   * Emit what generator tasks yield as `{ request, progress }` items, each
   * before its request's one outcome (with batching, still while the batch
   * runs). `results()` and `errors()` skip them; `progress()` selects them.
   * Progress is not held back by `ordered`. Default `false`: yields are
   * not even sent from the worker. A queue pool (`rxjs-threadpool/bullmq`)
   * emits no progress, only the outcomes.
   */
  readonly progress?: boolean;
  /**
   * Which requests go first (higher first). Default 0.
   *
   * - A number: the pipeline's priority. Pipelines on one pool take turns,
   *   one batch each, so a flood from one does not starve another; a
   *   pipeline with a higher priority goes first whenever it has requests
   *   waiting.
   * - A function of the request's arguments (as `transfer` gets them):
   *   each request's own priority (a finite number). Its waiting requests
   *   leave highest first (equals first in, first out), and the pipeline
   *   takes its turns with the priority of its next request. Not with
   *   `key` (a key's requests run in order). A function that throws or
   *   returns something else ends that request with `CallbackError`.
   *
   * Aging, so a low-priority request still runs under a steady stream of
   * high ones: a waiting request, and a pipeline waiting for its turn, gains
   * 1 for every 100 requests the pool starts meanwhile.
   *
   * @example
   * ```ts
   * alerts$.pipe(poolMap(pool, 'score', { priority: (alert) => (alert.severity === 'critical' ? 10 : 0) }));
   * ```
   */
  readonly priority?: number | ((...args: A) => number);
  /** The pipeline's name in `pool.stats.pipelines`. Default: the task's name. */
  readonly name?: string;
}

/**
 * What `poolMap(pool, task)` accepts: the task's single argument, or a `WorkRequest` of its arguments.
 *
 * @typeParam T - The pool's task map.
 * @typeParam K - The task's name.
 */
export type PoolMapInput<T extends TaskMap, K extends TaskName<T>> = TaskInput<T, K> | WorkRequest<Readonly<TaskArgs<T, K>>>;

/**
 * What `poolMap(pool, task)` emits: one outcome per request.
 *
 * @typeParam T - The pool's task map.
 * @typeParam K - The task's name.
 */
export type PoolMapOutcome<T extends TaskMap, K extends TaskName<T>> = Outcome<TaskArgs<T, K>, TaskResult<T, K>>;

/**
 * What `poolMap(pool, task, { progress: true })` emits besides outcomes.
 *
 * @typeParam T - The pool's task map.
 * @typeParam K - The task's name.
 */
export type PoolMapProgress<T extends TaskMap, K extends TaskName<T>> = Progress<TaskArgs<T, K>, TaskProgress<T, K>>;

/**
 * Runs `task` on the pool's workers for each source value and emits one
 * outcome per request: `{ ok: true, request, value }` or
 * `{ ok: false, request, error }`. A failing request never errors the stream.
 *
 * A plain source value is the task's single argument and gets a new request
 * id; a `WorkRequest` (from `makeRequests`) keeps its id and spreads its
 * arguments. At most as many requests run at once as the pool has live
 * workers, like `mergeMap`'s `concurrent`; the rest wait in the pool's queue
 * in arrival order, and a running pipeline follows `createWorkers` and
 * `dismissWorkers` without resubscribing. Outcomes are emitted as requests
 * finish, so their order can differ from the source's.
 *
 * The stream completes when the source has completed and every outcome is
 * out. A source error is passed on at once. Unsubscribing (or aborting the
 * `signal` option) drops the requests still queued (they never start) and
 * ignores the running ones' outcomes (or, with `cancel: 'terminate'`,
 * terminates their workers), freeing the pool for other pipelines.
 *
 * ```text
 * pool of 2 workers (createVirtualPool), each request takes 3 frames; the task throws for c
 *
 * source:  abcde|
 *          poolMap(pool, 'task')
 * output:  ---AB-CD-(E|)
 *
 * A = { ok: true, request: a, value }, C = { ok: false, request: c, error: TaskError }
 * c waits in the queue until a's worker is free (frame 3), d until b's (frame 4);
 * (E|) is E and completion on one frame, as in RxJS marble tests
 * ```
 *
 * @example
 * ```ts
 * import { from } from 'rxjs';
 * import { createPool } from 'rxjs-threadpool';
 * import { poolMap, splitOutcomes } from 'rxjs-threadpool/operators';
 * import type { Tasks } from './primes.worker';
 *
 * const pool = createPool<Tasks>(new URL('./primes.worker.js', import.meta.url));
 * const { results$, errors$ } = splitOutcomes(from([1e5, 2e5, -1]).pipe(poolMap(pool, 'countPrimes')));
 * errors$.subscribe(({ request, error }) => console.error(request.id, error.message));
 * results$.subscribe({ next: ({ value }) => console.log(value), complete: () => pool.close() });
 * ```
 * @see {@link splitOutcomes} to get results and errors as two streams.
 * @typeParam T - The pool's task map.
 * @typeParam K - The task's name.
 * @param pool - The pool to run on (`createPool`, or `createVirtualPool` in tests).
 * @param task - The name of a task the pool's worker module exposes.
 * @param options - See {@link PoolMapOptions}. With `progress: true` the
 * stream also carries {@link PoolMapProgress} items.
 * @return An operator from arguments (or requests) to outcomes.
 * @throws InvalidOptionError for a value that is not a pool, a task that is
 * not a string, or a bad option (all synchronously, when `poolMap` is called).
 * @throws UnknownTaskError when the pool already knows its worker module does not expose `task`.
 */
export function poolMap<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  options?: PoolMapOptions<TaskArgs<T, K>> & { readonly progress?: false },
): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K>>;
export function poolMap<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  options: PoolMapOptions<TaskArgs<T, K>> & { readonly progress: true },
): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K> | PoolMapProgress<T, K>>;
export function poolMap<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  options?: PoolMapOptions<TaskArgs<T, K>>,
): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K> | PoolMapProgress<T, K>>;
export function poolMap<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  options?: PoolMapOptions<TaskArgs<T, K>>,
): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K> | PoolMapProgress<T, K>> {
  if (!(pool instanceof Pool)) throw new InvalidOptionError('pool', pool, 'a pool from createPool() or createVirtualPool()');
  if (typeof task !== 'string' || task === '') throw new InvalidOptionError('task', task, 'a task name (a non-empty string)');
  const resolved = resolvePoolMapOptions(options);
  pool.checkTask(task);
  return (source) => new Observable<PoolMapOutcome<T, K> | PoolMapProgress<T, K>>((subscriber) => subscribePoolMap(pool, task, resolved, source, subscriber));
}
