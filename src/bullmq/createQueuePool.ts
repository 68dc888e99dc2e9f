/**
 * `createQueuePool`: a pool whose workers are BullMQ worker hosts on other
 * processes or machines, reached through a Redis queue.
 *
 * @module
 */
import { checkInteger, checkOptionsObject } from '../checks.js';
import { InvalidOptionError } from '../errors.js';
import { Pool } from '../Pool.js';
import type { TaskMap } from '../tasks.js';
import { type QueueConnection, resolveConnection } from './connection.js';
import { type QueueBackoff, QueueExecutor } from './QueueExecutor.js';

/** Options of {@link createQueuePool}. */
export interface QueuePoolOptions {
  /** Where Redis is: `redis://127.0.0.1:6379` or `{ host, port, password, ... }`. */
  readonly connection: QueueConnection;
  /** The BullMQ queue's name: the hosts started with `serveTasks` (or `rxjs-threadpool-serve --queue`) on it run its jobs. */
  readonly queue: string;
  /** BullMQ's key prefix. Default `'bull'` (BullMQ's). Hosts must use the same. */
  readonly prefix?: string;
  /**
   * Backpressure: the most jobs (batches) this pool keeps in Redis at once;
   * further requests wait in the pool, in this process, until a job
   * completes. At most `maxInFlight` × the batch size requests are in Redis.
   * It is the pool's `size` (what `stats.workers` reports). Default 512: a
   * window deep enough that, with requests sent one per job (long tasks, or
   * `batch: 1`), hosts always find jobs waiting and BullMQ's per-job round
   * trips overlap. A `poolMap` pipeline with `batch: 'auto'` whose tasks
   * take under 5 ms (or are not measured yet) uses at most 64 jobs at once,
   * so a burst still travels in large batches; pipelines with `batch: n`,
   * and several pipelines together, share the whole window.
   */
  readonly maxInFlight?: number;
  /** How long the start check may take to reach Redis, in ms; past it the pool fails with `QueueConnectionError`. Default 1500. */
  readonly connectTimeout?: number;
  /**
   * Runs of a job whose tasks failed, the last one's outcomes emitted
   * (BullMQ's `attempts`). Default 1: task failures are not retried.
   */
  readonly attempts?: number;
  /** Delay between those runs, in ms, or `{ type: 'exponential', delay }` (BullMQ's `backoff`). */
  readonly backoff?: QueueBackoff;
  /**
   * The default `timeout` (ms) of every pipeline on this pool, counted from
   * the moment the request's job is queued (its wait for a host included):
   * past it the request ends with `TaskTimeoutError`, its job is withdrawn if
   * no host has taken it, and a host running it terminates the thread.
   * Default: no limit.
   */
  readonly taskTimeout?: number;
  /** How often (ms) the pool reads the state of its jobs in flight to find completions the events stream missed, and jobs Redis lost. Default 1000. */
  readonly reconcileInterval?: number;
  /** The length BullMQ trims the queue's events stream to. Default 100000 (BullMQ's is 10000). */
  readonly eventsMaxLen?: number;
}

/**
 * Starts a pool on a BullMQ queue: `poolMap`, `ThreadPool` and the rest use
 * it as they use a thread pool, and worker hosts (`serveTasks`, or the
 * `rxjs-threadpool-serve` bin) on any machine run its requests on their
 * threads. More hosts, more capacity; nothing changes here.
 *
 * Requests travel in batches (`poolMap`'s `batch` option, `'auto'` by
 * default, tuned here for Redis round trips), one BullMQ job per batch,
 * under a job id made of this pool's id and the requests' ids, so a request
 * is never queued twice and a job run twice (BullMQ runs jobs at least once)
 * still yields one outcome per request. Arguments and results travel as
 * JSON.
 *
 * Returns at once. Redis is checked first: when it cannot be reached within
 * `connectTimeout`, `ready` rejects and every request ends with
 * `QueueConnectionError` naming the address. A connection lost later
 * reconnects; jobs lost with it are added again.
 *
 * @example
 * ```ts
 * import { createQueuePool } from 'rxjs-threadpool/bullmq';
 * import type { Tasks } from './primes.worker';
 *
 * const pool = createQueuePool<Tasks>({ connection: 'redis://127.0.0.1:6379', queue: 'primes' });
 * range(0, 10_000).pipe(poolMap(pool, 'countPrimes'));
 * // ...
 * await pool.close();
 * ```
 * @typeParam T - The worker module's task map (`typeof tasks`), the module the hosts serve.
 * @throws InvalidOptionError for a bad option, synchronously.
 */
export function createQueuePool<T extends TaskMap>(options: QueuePoolOptions): Pool<T> {
  const {
    connection,
    queue,
    prefix = 'bull',
    maxInFlight = 512,
    connectTimeout = 1500,
    attempts = 1,
    backoff,
    taskTimeout,
    reconcileInterval = 1000,
    eventsMaxLen = 100_000,
  } = checkOptionsObject('options', options) as QueuePoolOptions;
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) throw new InvalidOptionError('queue', queue, 'a non-empty queue name without ":"');
  if (typeof prefix !== 'string' || prefix === '') throw new InvalidOptionError('prefix', prefix, 'a non-empty string');
  checkInteger('maxInFlight', maxInFlight, 1);
  checkInteger('connectTimeout', connectTimeout, 1);
  checkInteger('attempts', attempts, 1);
  checkInteger('reconcileInterval', reconcileInterval, 10);
  checkInteger('eventsMaxLen', eventsMaxLen, 100);
  if (taskTimeout !== undefined) checkInteger('taskTimeout', taskTimeout, 1);
  if (backoff !== undefined && !(typeof backoff === 'number' ? backoff >= 0 : typeof backoff === 'object' && backoff !== null && typeof backoff.delay === 'number')) {
    throw new InvalidOptionError('backoff', backoff, "a delay in ms or { type: 'fixed' | 'exponential', delay }");
  }
  const executor = new QueueExecutor({
    connection: resolveConnection(connection),
    queue,
    prefix,
    maxInFlight,
    connectTimeout,
    attempts,
    ...(backoff === undefined ? {} : { backoff }),
    reconcileInterval,
    eventsMaxLen,
    // A job costs a few Redis round trips (about a millisecond): batch tasks up to 5 ms of the hosts' thread time,
    // about 50 ms of work a job, over at most 64 jobs at once per pipeline (the window is for unbatched requests).
    autoBatch: { maxJobMs: 5, targetMs: 50, spread: 64, byWorkTime: true },
  });
  return new Pool<T>(executor, taskTimeout === undefined ? {} : { timeout: taskTimeout });
}
