/**
 * `serveTasks`: a worker host. A BullMQ `Worker` takes the queue's jobs and
 * runs each job's requests on a local thread pool of the worker module, so
 * each host uses all its cores; start one per machine.
 *
 * A host trusts no job: each one's data is checked against the wire's
 * schema (`wire.ts`) before anything is done with it, its size before it is
 * even parsed, and a job that fails the check is failed at once with
 * BullMQ's `UnrecoverableError` (no host runs it again), logged once with
 * its id. Only the module's own tasks ever run.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { type ConnectionOptions, type Job as BullJob, type JobJson, UnrecoverableError, Worker } from 'bullmq';
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTimeout } from '../checks.js';
import { createPool } from '../createPool.js';
import { InvalidOptionError, TaskError, TaskTimeoutError, textOf, UnknownTaskError, WorkerCrashedError } from '../errors.js';
import type { Outcome } from '../outcomes.js';
import type { Pool } from '../Pool.js';
import { serializeError } from '../protocol.js';
import { workRequest } from '../requests.js';
import type { Pipeline } from '../scheduler/pipeline.js';
import { smoothed } from '../timing.js';
import type { TaskMap } from '../tasks.js';
import { checkConnection, liveOptions, type QueueConnection, resolveConnection } from './connection.js';
import {
  DEFAULT_MAX_JOB_BYTES,
  DEFAULT_MAX_JOB_REQUESTS,
  JOB_REFUSED,
  jobBytesProblem,
  jobDataProblem,
  MAX_JOB_BYTES,
  type QueueFailure,
  type QueueJobData,
  type QueueJobResult,
} from './wire.js';

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
 * failure of the host itself fails a job. A job whose data is too large
 * (`maxJobBytes`, `maxJobRequests`) or malformed is refused: failed at once
 * with BullMQ's `UnrecoverableError` and the reason (no host runs it
 * again), and logged once with its id.
 *
 * @param workerModule - The worker module: an absolute path or a `file:` URL (the same module the producer is typed from).
 * @throws InvalidOptionError for a bad option.
 * @throws WorkerStartError when the module cannot be loaded (nothing is taken from the queue).
 * @throws QueueConnectionError when Redis cannot be reached.
 */
export async function serveTasks(workerModule: string | URL, options: ServeOptions): Promise<TaskServer> {
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
  const fitted = concurrency === undefined;
  const steady = concurrency ?? Math.min(threads * 8, MAX_HOST_CONCURRENCY);
  let jobMs: number | undefined;
  /** Single-request jobs in a row. */
  let singles = 0;
  const worker: JobWorker = new JobWorker(
    maxJobBytes,
    queue,
    async (job) => {
      const problem = worker.refusals.get(job) ?? jobDataProblem(job.data, maxJobRequests);
      if (problem !== undefined) {
        log(`rxjs-threadpool-serve: job ${String(job.id)} refused: ${problem}`);
        throw new UnrecoverableError(`${JOB_REFUSED}${problem}`);
      }
      const result = await runner.run(job as BullJob<QueueJobData, QueueJobResult>);
      if (fitted && result.ms !== undefined) {
        jobMs = smoothed(jobMs, result.ms);
        singles = result.values.length === 1 ? singles + 1 : 0;
        const wanted = jobMs > 10 ? threads + 1 : singles >= 256 && jobMs < 1 ? Math.min(threads * 64, MAX_HOST_CONCURRENCY) : steady;
        if (worker.concurrency !== wanted) worker.concurrency = wanted;
      }
      return result;
    },
    {
      connection: liveOptions(resolved) as ConnectionOptions,
      prefix,
      concurrency: steady,
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

/**
 * BullMQ's `Worker`, reading each job's data itself: its size is checked
 * before it is parsed, and data that is too large or not JSON becomes a
 * refusal for the processor (a job that BullMQ could not read would
 * otherwise stay active, with a misleading connection error in the log).
 */
class JobWorker extends Worker<unknown, QueueJobResult> {
  /** Jobs whose data was refused before it was parsed, and why. */
  readonly refusals = new WeakMap<BullJob, string>();

  constructor(
    private readonly maxJobBytes: number,
    ...rest: ConstructorParameters<typeof Worker<unknown, QueueJobResult>>
  ) {
    super(...rest);
  }

  protected override createJob(raw: JobJson, jobId: string): BullJob<unknown, QueueJobResult> {
    let problem = jobBytesProblem(raw.data, this.maxJobBytes);
    if (problem === undefined) {
      try {
        return super.createJob(raw, jobId);
      } catch (error) {
        // Only the data is ours to judge: a job BullMQ cannot read for another reason fails as before.
        try {
          JSON.parse(raw.data);
        } catch (syntax) {
          problem = `job data is not JSON (${textOf(syntax)})`;
        }
        if (problem === undefined) throw error;
      }
    }
    const job = super.createJob({ ...raw, data: 'null' }, jobId);
    this.refusals.set(job, problem);
    return job;
  }
}

/** A job's requests being run: its outcomes so far. */
interface Collector {
  readonly values: unknown[];
  readonly failures: QueueFailure[];
  left: number;
  readonly finish: () => void;
}

/** A lane of the runner, and its requests not yet delivered. */
interface RunnerLane {
  readonly lane: Pipeline;
  pending: number;
}

/**
 * Lanes with a timeout kept open while idle. A lane per (task, timeout):
 * the tasks are the module's, but a job may name any timeout, so idle lanes
 * past this many are closed rather than kept for ever.
 */
const MAX_IDLE_TIMEOUT_LANES = 32;

/**
 * Runs jobs' requests on the local pool. One lane per task (and timeout),
 * shared by every job the host runs at once, so requests of concurrent jobs
 * travel to a thread together (the pool's own `'auto'` batching) rather
 * than a message per job. A job reaches it only after its data was checked
 * (`jobDataProblem`); a request for a task the module does not expose ends
 * with `UnknownTaskError` here, without a lane or a thread.
 */
class JobRunner {
  private readonly lanes = new Map<string, RunnerLane>();
  /** What each request in the lanes belongs to: its job's collector, its position there, and its lane. */
  private readonly owners = new Map<number, { readonly collector: Collector; readonly at: number; readonly key: string }>();
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
      for (let i = 0; i < count; i++) {
        const task = typeof tasks === 'string' ? tasks : tasks[i];
        const unknown = this.unknownTask(task);
        if (unknown) {
          collector.failures.push(failureOf(i, unknown));
          if (--collector.left === 0) collector.finish();
          continue;
        }
        const tag = ++this.nextTag;
        const key = laneKey(task, timeout);
        const entry = this.laneFor(key, task, timeout);
        entry.pending++;
        this.owners.set(tag, { collector, at: i, key });
        entry.lane.submit(workRequest(spread ? (args[i] as unknown[]) : [args[i]]), tag, task);
      }
    });
  }

  /** `UnknownTaskError` when the module does not expose `task` (its names are known: the pool is ready). */
  private unknownTask(task: string): UnknownTaskError | undefined {
    try {
      this.pool.checkTask(task);
      return undefined;
    } catch (error) {
      if (error instanceof UnknownTaskError) return error;
      throw error;
    }
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
    const lane = this.lanes.get(key)?.lane;
    return lane?.workMsPerJob ?? lane?.msPerJob;
  }

  private laneFor(key: string, task: string, timeout: number | undefined): RunnerLane {
    let entry = this.lanes.get(key);
    if (!entry) {
      entry = { lane: this.pool.openPipeline(task, (outcome, tag) => this.deliver(outcome, tag), timeout === undefined ? {} : { timeout }), pending: 0 };
      this.lanes.set(key, entry);
      if (timeout !== undefined) this.timeoutLanes++;
    }
    return entry;
  }

  /** Lanes with a timeout now open. */
  private timeoutLanes = 0;

  private deliver(outcome: Outcome<readonly unknown[]>, tag: number): void {
    const owner = this.owners.get(tag);
    if (!owner) return;
    this.owners.delete(tag);
    const { collector, at, key } = owner;
    const entry = this.lanes.get(key);
    if (entry && --entry.pending === 0 && entry.lane.options.timeout !== undefined && this.timeoutLanes > MAX_IDLE_TIMEOUT_LANES) {
      // After the scheduler is done delivering this batch, and only if no job has used the lane since.
      queueMicrotask(() => {
        if (entry.pending !== 0 || this.lanes.get(key) !== entry) return;
        this.lanes.delete(key);
        this.timeoutLanes--;
        entry.lane.close();
      });
    }
    if (outcome.ok) collector.values[at] = outcome.value === undefined ? null : outcome.value;
    else collector.failures.push(failureOf(at, outcome.error));
    if (--collector.left === 0) collector.finish();
  }

  close(): void {
    for (const { lane } of this.lanes.values()) lane.close();
    this.lanes.clear();
    this.timeoutLanes = 0;
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
