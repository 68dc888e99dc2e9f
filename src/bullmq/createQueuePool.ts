/**
 * `createQueuePool`: a pool whose workers are BullMQ worker hosts on other
 * processes or machines, reached through a Redis queue.
 *
 * @module
 */
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTimeout } from '../checks.js';
import { InvalidOptionError } from '../errors.js';
import { Pool } from '../Pool.js';
import type { TaskMap } from '../tasks.js';
import { type QueueConnection, resolveConnection } from './connection.js';
import type { QueueBackoff } from './JobAdder.js';
import { QueueExecutor } from './QueueExecutor.js';

/** Options of {@link createQueuePool}. */
export interface QueuePoolOptions {
  /**
   * A stable name for this pool (1 to 64 letters, digits, `_` or `-`), the
   * same across restarts of the producer. When set, a pool that starts
   * removes the jobs its predecessors of the same `id` left waiting (a
   * producer killed mid-run leaves jobs nobody will read the results of);
   * `ready` resolves once they are gone. Jobs a host had started finish,
   * and their results are dropped. Give each live producer its own `id`:
   * two running at once with one `id` each withdraw the other's waiting
   * jobs at start (they are then added again, later). Default: none, a
   * random id per start, and nothing is withdrawn.
   */
  readonly id?: string;
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
   * and several pipelines together, share the whole window. From 1 to
   * 100,000.
   */
  readonly maxInFlight?: number;
  /** How long the start check may take to reach Redis, in ms (at most 2^31-1, as every time option); past it the pool fails with `QueueConnectionError`. Default 1500. */
  readonly connectTimeout?: number;
  /**
   * Runs of a job whose tasks failed, the last one's outcomes emitted
   * (BullMQ's `attempts`), 1 to 1000. Default 1: task
   * failures are not retried.
   */
  readonly attempts?: number;
  /** Delay between those runs, in ms (0 to 2^31-1), or `{ type: 'exponential', delay }` (BullMQ's `backoff`). */
  readonly backoff?: QueueBackoff;
  /**
   * The default `timeout` (ms) of every pipeline on this pool, counted from
   * the moment the request's job is queued (its wait for a host included):
   * past it the request ends with `TaskTimeoutError`, its job is withdrawn if
   * no host has taken it, and a host running it terminates the thread.
   * Default: no limit.
   */
  readonly taskTimeout?: number;
  /** How often (ms, 10 to 2^31-1) the pool reads the state of its jobs in flight to find completions the events stream missed, and jobs Redis lost. Default 1000. */
  readonly reconcileInterval?: number;
  /** The length BullMQ trims the queue's events stream to, 100 to 100,000,000. Default 100000 (BullMQ's is 10000). */
  readonly eventsMaxLen?: number;
}

/** The most jobs a queue pool keeps in Redis at once (`maxInFlight`). */
export const MAX_IN_FLIGHT = 100_000;

/** The most runs of a job (`attempts`). */
export const MAX_ATTEMPTS = 1000;

/** The longest events stream a queue pool asks BullMQ to keep (`eventsMaxLen`). */
export const MAX_EVENTS_LEN = 100_000_000;

const optionNames: readonly (keyof QueuePoolOptions)[] = [
  'id',
  'connection',
  'queue',
  'prefix',
  'maxInFlight',
  'connectTimeout',
  'attempts',
  'backoff',
  'taskTimeout',
  'reconcileInterval',
  'eventsMaxLen',
];

/** What BullMQ and the peers call the options, and what to say. */
const optionAliases = {
  concurrency: 'maxInFlight',
  size: 'maxInFlight',
  maxThreads: 'maxInFlight',
  minThreads: 'maxInFlight',
  timeout: 'taskTimeout',
  name: 'queue',
  queueName: 'queue',
  redis: 'connection',
  url: 'connection',
  poolId: 'id',
  jobId: 'id',
  retries: 'attempts',
  maxRetries: 'attempts',
  defaultJobOptions: 'A queue pool sets its jobs\' options itself: use "attempts" and "backoff".',
  removeOnComplete: 'A queue pool removes its jobs once they complete, and keeps failed ones for an hour.',
  streams: 'eventsMaxLen',
} as const;

/**
 * Starts a pool on a BullMQ queue: `poolMap`, `ThreadPool` and the rest use
 * it as they use a thread pool, and worker hosts (`serveTasks`, or the
 * `rxjs-threadpool-serve` bin) on any machine run its requests on their
 * threads. More hosts, more capacity; nothing changes here.
 *
 * Requests travel in batches (`poolMap`'s `batch` option, `'auto'` by
 * default, tuned here for Redis round trips), one BullMQ job per batch,
 * under a job id made of this start of the pool (its `id`, if set, and a
 * random part) and the requests' ids, so a request is never queued twice
 * and a job run twice (BullMQ runs jobs at least once) still yields one
 * outcome per request. Arguments and results travel as JSON.
 *
 * Every job result is checked before it is read: a malformed one (from a
 * worker that is not a `serveTasks` host of this version), or a host's
 * refusal of the job (too large for it, say), ends the job's requests with
 * `ProtocolError` (`boundary: 'queue'`), never a rerun.
 *
 * Returns at once. Redis is checked first: when it cannot be reached within
 * `connectTimeout`, `ready` rejects and every request ends with
 * `QueueConnectionError` naming the address; `ready` rejects with
 * `PoolClosedError` when the pool is closed before it was ready. A
 * connection lost later reconnects; jobs lost with it are added again.
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
  const checked = checkOptionsObject('options', options) as QueuePoolOptions;
  checkKnownKeys('createQueuePool options', checked, optionNames, optionAliases);
  const {
    id,
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
  } = checked;
  if (id !== undefined && (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)))
    throw new InvalidOptionError('id', id, 'a name of 1 to 64 letters, digits, "_" or "-"');
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) throw new InvalidOptionError('queue', queue, 'a non-empty queue name without ":"');
  if (typeof prefix !== 'string' || prefix === '') throw new InvalidOptionError('prefix', prefix, 'a non-empty string');
  checkInteger('maxInFlight', maxInFlight, 1, MAX_IN_FLIGHT);
  checkTimeout('connectTimeout', connectTimeout);
  checkInteger('attempts', attempts, 1, MAX_ATTEMPTS);
  checkTimeout('reconcileInterval', reconcileInterval, 10);
  checkInteger('eventsMaxLen', eventsMaxLen, 100, MAX_EVENTS_LEN);
  if (taskTimeout !== undefined) checkTimeout('taskTimeout', taskTimeout);
  if (backoff !== undefined) checkBackoff(backoff);
  const executor = new QueueExecutor({
    ...(id === undefined ? {} : { id }),
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
  return new Pool<T>(executor, taskTimeout === undefined ? {} : { defaults: { timeout: taskTimeout } });
}

/** Throws unless `backoff` is a delay in ms, or `{ type: 'fixed' | 'exponential', delay }` and nothing else. */
function checkBackoff(backoff: unknown): void {
  if (typeof backoff === 'number') {
    checkTimeout('backoff', backoff, 0);
    return;
  }
  if (typeof backoff !== 'object' || backoff === null || Array.isArray(backoff)) {
    throw new InvalidOptionError('backoff', backoff, "a delay in ms or { type: 'fixed' | 'exponential', delay }");
  }
  checkKnownKeys('backoff', backoff, ['type', 'delay']);
  const { type, delay } = backoff as { type?: unknown; delay?: unknown };
  if (type !== 'fixed' && type !== 'exponential') throw new InvalidOptionError('backoff.type', type, "'fixed' or 'exponential'");
  checkTimeout('backoff.delay', delay, 0);
}
