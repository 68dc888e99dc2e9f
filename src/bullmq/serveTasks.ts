/**
 * `serveTasks`: a worker host. A BullMQ `Worker` takes the queue's jobs and
 * runs each job's requests on a local thread pool of the worker module, so
 * each host uses all its cores; start one per machine.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { type ConnectionOptions, type Job as BullJob, Worker } from 'bullmq';
import { checkInteger, checkOptionsObject } from '../checks.js';
import { createPool } from '../createPool.js';
import { InvalidOptionError, TaskError, TaskTimeoutError, UnknownTaskError, WorkerCrashedError } from '../errors.js';
import type { Outcome } from '../outcomes.js';
import type { Pool } from '../Pool.js';
import { serializeError } from '../protocol.js';
import { workRequest } from '../requests.js';
import type { Lane } from '../scheduler.js';
import { smoothed } from '../timing.js';
import type { TaskMap } from '../tasks.js';
import { checkConnection, liveOptions, type QueueConnection, resolveConnection } from './connection.js';
import type { QueueFailure, QueueJobData, QueueJobResult } from './wire.js';

/** Options of {@link serveTasks}. */
export interface ServeOptions {
  /** Where Redis is: `redis://127.0.0.1:6379` or `{ host, port, ... }`. */
  readonly connection: QueueConnection;
  /** The queue to take jobs from (the producer's `createQueuePool({ queue })`). */
  readonly queue: string;
  /** BullMQ's key prefix. Default `'bull'`. */
  readonly prefix?: string;
  /** Worker threads of the local pool. Default: the number of CPUs. */
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
   * few ms: enough that a thread never waits on Redis round trips).
   */
  readonly concurrency?: number;
  /**
   * BullMQ's `lockDuration` (ms): a host that dies mid-job has its job
   * detected as stalled this long after, and run again by another host.
   * Default 30000 (BullMQ's).
   */
  readonly lockDuration?: number;
  /** BullMQ's `stalledInterval` (ms): how often this host looks for stalled jobs. Default 30000 (BullMQ's). */
  readonly stalledInterval?: number;
  /** BullMQ's `maxStalledCount`: stalls after which a job fails (its requests then end with `WorkerCrashedError` on the producer). Default 1. */
  readonly maxStalledCount?: number;
  /** How long (ms) the start check may take to reach Redis. Default 1500. */
  readonly connectTimeout?: number;
  /** Where the host logs (start, lost connection, failures). Default `console.error`. */
  readonly log?: (line: string) => void;
}

/** A running worker host. */
export interface TaskServer {
  /** The local thread pool the host runs its jobs on. */
  readonly pool: Pool<TaskMap>;
  /** Stops taking jobs, waits for the running ones, and closes the threads and connections. */
  close(): Promise<void>;
}

/**
 * Starts a worker host: loads `workerModule` (a module that calls
 * `exposeTasks`) on `threads` worker threads, then takes jobs from the
 * queue. Task errors are returned as outcomes (the job completes); only a
 * failure of the host itself fails a job.
 *
 * @param workerModule - The worker module: an absolute path or a `file:` URL (the same module the producer is typed from).
 * @throws InvalidOptionError for a bad option.
 * @throws WorkerStartError when the module cannot be loaded (nothing is taken from the queue).
 * @throws QueueConnectionError when Redis cannot be reached.
 */
export async function serveTasks(workerModule: string | URL, options: ServeOptions): Promise<TaskServer> {
  const {
    connection,
    queue,
    prefix = 'bull',
    threads = availableParallelism(),
    concurrency = threads * 8,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    connectTimeout = 1500,
    log = (line: string) => console.error(line),
  } = checkOptionsObject('options', options) as ServeOptions;
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) throw new InvalidOptionError('queue', queue, 'a non-empty queue name without ":"');
  checkInteger('threads', threads, 1);
  checkInteger('concurrency', concurrency, 1);
  if (lockDuration !== undefined) checkInteger('lockDuration', lockDuration, 1);
  if (stalledInterval !== undefined) checkInteger('stalledInterval', stalledInterval, 1);
  if (maxStalledCount !== undefined) checkInteger('maxStalledCount', maxStalledCount, 0);
  const resolved = resolveConnection(connection);
  await checkConnection(resolved, connectTimeout);
  // Two batches per thread: a thread has its next batch before it finishes the current one, so it never
  // waits for this (busy) main thread between jobs.
  const pool = createPool<TaskMap>(workerModule, { size: threads, tasksPerWorker: 2 });
  try {
    await pool.ready;
  } catch (error) {
    await pool.close();
    throw error;
  }
  let lost = false;
  const runner = new JobRunner(pool);
  // Fitted to the jobs (unless `concurrency` was set): see ServeOptions.concurrency.
  const fitted = options.concurrency === undefined;
  let jobMs: number | undefined;
  /** Single-request jobs in a row. */
  let singles = 0;
  const worker: Worker<QueueJobData, QueueJobResult> = new Worker<QueueJobData, QueueJobResult>(
    queue,
    async (job) => {
      const result = await runner.run(job);
      if (fitted && result.ms !== undefined) {
        jobMs = smoothed(jobMs, result.ms);
        singles = result.values.length === 1 ? singles + 1 : 0;
        const wanted = jobMs > 10 ? threads + 1 : singles >= 256 && jobMs < 1 ? threads * 64 : concurrency;
        if (worker.concurrency !== wanted) worker.concurrency = wanted;
      }
      return result;
    },
    {
    connection: liveOptions(resolved) as ConnectionOptions,
    prefix,
    concurrency,
    ...(lockDuration === undefined ? {} : { lockDuration }),
    ...(stalledInterval === undefined ? {} : { stalledInterval }),
    ...(maxStalledCount === undefined ? {} : { maxStalledCount }),
    },
  );
  worker.on('error', (error) => {
    if (lost) return;
    lost = true;
    log(`rxjs-threadpool-serve: lost Redis at ${resolved.address} (${error.message}); reconnecting`);
  });
  worker.on('ready', () => {
    if (lost) log(`rxjs-threadpool-serve: reconnected to Redis at ${resolved.address}`);
    lost = false;
  });
  await worker.waitUntilReady();
  let closing: Promise<void> | undefined;
  return {
    pool,
    close: () =>
      (closing ??= (async () => {
        await worker.close();
        runner.close();
        await pool.close();
      })()),
  };
}

/** A job's requests being run: its outcomes so far. */
interface Collector {
  readonly values: unknown[];
  readonly failures: QueueFailure[];
  left: number;
  readonly finish: () => void;
}

/**
 * Runs jobs' requests on the local pool. One lane per task (and timeout),
 * shared by every job the host runs at once, so requests of concurrent jobs
 * travel to a thread together (the pool's own `'auto'` batching) rather
 * than a message per job.
 */
class JobRunner {
  private readonly lanes = new Map<string, Lane>();
  /** What each request in the lanes belongs to: its job's collector and its position there. */
  private readonly owners = new Map<number, { readonly collector: Collector; readonly at: number }>();
  private nextTag = 0;

  constructor(private readonly pool: Pool<TaskMap>) {}

  run(job: BullJob<QueueJobData, QueueJobResult>): Promise<QueueJobResult> {
    const { tasks, args, spread, timeout } = job.data;
    const count = args.length;
    return new Promise<QueueJobResult>((resolve, reject) => {
      const collector: Collector = {
        values: new Array<unknown>(count).fill(null),
        failures: [],
        left: count,
        finish: () => {
          const { values, failures } = collector;
          const attempts = job.opts.attempts ?? 1;
          if (failures.length > 0 && job.attemptsMade + 1 < attempts) {
            // The user asked for retries: BullMQ runs the job again (after its backoff); only the last run's outcomes count.
            reject(new Error(`${failures.length} of ${count} requests failed (attempt ${job.attemptsMade + 1} of ${attempts})`));
            return;
          }
          failures.sort((a, b) => a.at - b.at);
          // Thread time, not this job's wall time: on a busy host a job also waits for the main thread and for
          // other jobs' requests, and a producer that sized batches by that would stop batching fast tasks.
          const ms = this.threadMs(job);
          resolve({ values, ...(failures.length > 0 ? { failures } : {}), ...(ms === undefined ? {} : { ms }) });
        },
      };
      if (count === 0) {
        collector.finish();
        return;
      }
      for (let i = 0; i < count; i++) {
        const task = typeof tasks === 'string' ? tasks : tasks[i];
        const tag = ++this.nextTag;
        this.owners.set(tag, { collector, at: i });
        this.laneFor(task, timeout).submit(workRequest(spread ? (args[i] as unknown[]) : [args[i]]), tag, task);
      }
    });
  }

  /**
   * About how much thread time (ms) the job's requests take, from what their
   * lanes measured so far: the time their batches spent in a worker (the
   * worker's own clock, awaits included), per request. `undefined` while a
   * task has no measure (its requests ended without running).
   */
  private threadMs(job: BullJob<QueueJobData, QueueJobResult>): number | undefined {
    const { tasks, args, timeout } = job.data;
    if (typeof tasks === 'string') {
      const perRequest = this.requestMs(laneKey(tasks, timeout));
      return perRequest === undefined ? undefined : perRequest * args.length;
    }
    let ms = 0;
    for (const task of tasks) {
      const perRequest = this.requestMs(laneKey(task, timeout));
      if (perRequest === undefined) return undefined;
      ms += perRequest;
    }
    return ms;
  }

  private requestMs(key: string): number | undefined {
    const lane = this.lanes.get(key);
    return lane?.workMsPerJob ?? lane?.msPerJob;
  }

  private laneFor(task: string, timeout: number | undefined): Lane {
    const key = laneKey(task, timeout);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = this.pool.openLane(task, (outcome, tag) => this.deliver(outcome, tag), timeout === undefined ? {} : { timeout });
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private deliver(outcome: Outcome<readonly unknown[]>, tag: number): void {
    const owner = this.owners.get(tag);
    if (!owner) return;
    this.owners.delete(tag);
    const { collector, at } = owner;
    if (outcome.ok) collector.values[at] = outcome.value === undefined ? null : outcome.value;
    else collector.failures.push(failureOf(at, outcome.error));
    if (--collector.left === 0) collector.finish();
  }

  close(): void {
    for (const lane of this.lanes.values()) lane.close();
    this.lanes.clear();
  }
}

function laneKey(task: string, timeout: number | undefined): string {
  return `${timeout ?? ''}:${task}`;
}

function failureOf(at: number, error: Error): QueueFailure {
  if (error instanceof TaskError) {
    const serialized = serializeError(error.cause);
    return { at, kind: 'task', error: error.thrown ? { ...serialized, nonError: error.thrown } : serialized };
  }
  if (error instanceof UnknownTaskError) return { at, kind: 'unknown-task', error: serializeError(error), known: error.known };
  if (error instanceof TaskTimeoutError) return { at, kind: 'timeout', error: serializeError(error) };
  if (error instanceof WorkerCrashedError) return { at, kind: 'crashed', error: serializeError(error) };
  return { at, kind: 'other', error: serializeError(error) };
}
