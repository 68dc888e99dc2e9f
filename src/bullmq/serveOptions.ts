/**
 * The options of a worker host (`serveTasks`, the `rxjs-threadpool-serve`
 * bin's flags), their defaults and their checks.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTimeout } from '../checks.js';
import { InvalidOptionError } from '../errors.js';
import type { QueueConnection } from './connection.js';
import { DEFAULT_MAX_JOB_BYTES, DEFAULT_MAX_JOB_REQUESTS, MAX_JOB_BYTES } from './wire.js';

/** Options of {@link serveTasks}. */
export interface ServeOptions {
  /** Where Redis is: `redis://127.0.0.1:6379` or `{ host, port, ... }`. */
  readonly connection: QueueConnection;
  /** The queue to take jobs from (the producer's `createQueuePool({ queue })`). */
  readonly queue: string;
  /** BullMQ's key prefix. Default `'bull'`. */
  readonly prefix?: string;
  /** Worker threads of the local pool, 1 to 1024. Default: the number of CPUs. */
  readonly threads?: number;
  /**
   * Jobs this host runs at once (their requests share the threads). Default:
   * fitted to the jobs, from the thread time each one takes (its requests'
   * time in a worker, awaits included): `threads + 1` while jobs take over
   * 10 ms (long tasks, and `'auto'` batches, which are sized to about 50 ms
   * of work), so a host does not hoard jobs another host could run;
   * `threads × 64` once 256 jobs in a row were single requests under a
   * millisecond (BullMQ's own cost per job is then what limits, and it
   * shrinks as more jobs run at once); `threads × 8` otherwise (jobs of a
   * few ms: enough that a thread never waits on Redis round trips). From 1
   * to 65,536.
   */
  readonly concurrency?: number;
  /**
   * BullMQ's `lockDuration` (ms): a host that dies mid-job has its job
   * detected as stalled this long after, and run again by another host.
   * Default 30000 (BullMQ's); at most 2^31-1, as every time option.
   */
  readonly lockDuration?: number;
  /** BullMQ's `stalledInterval` (ms): how often this host looks for stalled jobs. Default 30000 (BullMQ's); at most 2^31-1. */
  readonly stalledInterval?: number;
  /** BullMQ's `maxStalledCount`: stalls after which a job fails (its requests then end with `WorkerCrashedError` on the producer), 0 to 1000. Default 1. */
  readonly maxStalledCount?: number;
  /** How long (ms) the start check may take to reach Redis. Default 1500. */
  readonly connectTimeout?: number;
  /**
   * The largest job this host accepts: its data's JSON, in bytes, checked
   * before it is parsed. A larger job is refused (failed with the reason,
   * not run by any host; its requests end with `ProtocolError` on the
   * producer). Default 16 MiB (16,777,216); from 1,024 to
   * 512 MiB. Up to `concurrency` jobs are held at once, parsed.
   */
  readonly maxJobBytes?: number;
  /**
   * The most requests one job may carry; a job with more is refused as
   * above. Default and most: 65,536 (every boundary's limit; a producer's
   * `'auto'` batches stop at 2,048).
   */
  readonly maxJobRequests?: number;
  /** Where the host logs (start, lost connection, failures). Default `console.error`. */
  readonly log?: (line: string) => void;
}

/** The most threads a host runs (`threads`). */
export const MAX_HOST_THREADS = 1024;

/** The most jobs a host runs at once (`concurrency`, and what the fitted default may reach). */
export const MAX_HOST_CONCURRENCY = 65_536;

const serveOptionNames: readonly (keyof ServeOptions)[] = [
  'connection',
  'queue',
  'prefix',
  'threads',
  'concurrency',
  'lockDuration',
  'stalledInterval',
  'maxStalledCount',
  'connectTimeout',
  'maxJobBytes',
  'maxJobRequests',
  'log',
];

/** What BullMQ, the peers and the producer call the options, and what to say. */
const serveOptionAliases = {
  size: 'threads',
  maxThreads: 'threads',
  minThreads: 'threads',
  numWorkers: 'threads',
  workers: 'threads',
  maxWorkers: 'threads',
  maxInFlight: 'concurrency',
  tasksPerWorker: 'A host always runs 2 batches per thread; set "concurrency" for the jobs it takes at once.',
  redis: 'connection',
  url: 'connection',
  maxJobSize: 'maxJobBytes',
  maxBytes: 'maxJobBytes',
  maxRequests: 'maxJobRequests',
  maxBatch: 'maxJobRequests',
  logger: 'log',
  timeout: 'A job carries its requests\' timeout (the producer\'s "taskTimeout" or poolMap\'s "timeout").',
} as const;

/** {@link ServeOptions} checked, with their defaults. */
export interface ResolvedServeOptions {
  readonly connection: QueueConnection;
  readonly queue: string;
  readonly prefix: string;
  readonly threads: number;
  /** `undefined`: fitted to the jobs. */
  readonly concurrency: number | undefined;
  readonly lockDuration: number | undefined;
  readonly stalledInterval: number | undefined;
  readonly maxStalledCount: number | undefined;
  readonly connectTimeout: number;
  readonly maxJobBytes: number;
  readonly maxJobRequests: number;
  readonly log: (line: string) => void;
}

/** Checks a host's options (unknown names too) and fills in the defaults; throws `InvalidOptionError` for a bad one. */
export function checkServeOptions(options: ServeOptions): ResolvedServeOptions {
  const checked = checkOptionsObject('options', options) as ServeOptions;
  checkKnownKeys('serveTasks options', checked, serveOptionNames, serveOptionAliases);
  const {
    connection,
    queue,
    prefix = 'bull',
    threads = Math.min(availableParallelism(), MAX_HOST_THREADS),
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    connectTimeout = 1500,
    maxJobBytes = DEFAULT_MAX_JOB_BYTES,
    maxJobRequests = DEFAULT_MAX_JOB_REQUESTS,
    log = (line: string) => console.error(line),
  } = checked;
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) throw new InvalidOptionError('queue', queue, 'a non-empty queue name without ":"');
  if (typeof prefix !== 'string' || prefix === '') throw new InvalidOptionError('prefix', prefix, 'a non-empty string');
  checkInteger('threads', threads, 1, MAX_HOST_THREADS);
  if (concurrency !== undefined) checkInteger('concurrency', concurrency, 1, MAX_HOST_CONCURRENCY);
  if (lockDuration !== undefined) checkTimeout('lockDuration', lockDuration);
  if (stalledInterval !== undefined) checkTimeout('stalledInterval', stalledInterval);
  if (maxStalledCount !== undefined) checkInteger('maxStalledCount', maxStalledCount, 0, 1000);
  checkTimeout('connectTimeout', connectTimeout);
  checkInteger('maxJobBytes', maxJobBytes, 1024, MAX_JOB_BYTES);
  checkInteger('maxJobRequests', maxJobRequests, 1, DEFAULT_MAX_JOB_REQUESTS);
  if (typeof log !== 'function') throw new InvalidOptionError('log', log, 'a function that takes a line of text');
  return {
    connection,
    queue,
    prefix,
    threads,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    connectTimeout,
    maxJobBytes,
    maxJobRequests,
    log,
  };
}
