/**
 * The BullMQ executor: a slot is one BullMQ job in flight. A batch of
 * requests becomes one job (its id derived from the requests' ids, so a
 * request is never queued twice), worker hosts (`serveTasks`) run it on
 * their threads, and its return value carries one outcome per request.
 *
 * Completions arrive through `QueueEvents`; a reconciler also reads each
 * in-flight job's state every `reconcileInterval`, so a completion the
 * events stream dropped (it is trimmed) or that was lost with a Redis
 * restart is still found, and a job that vanished is added again under the
 * same id. Each batch settles once: a second completion is ignored.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type ConnectionOptions, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DataCloneError,
  type FailureError,
  PoolClosedError,
  QueueConnectionError,
  TaskCancelledError,
  TaskError,
  TaskTimeoutError,
  UnknownTaskError,
  WorkerCrashedError,
} from '../errors.js';
import { type AutoBatchTuning, type BatchOutcomes, type Done, type Executor, type ExecutorHost, failAll, type Job, type RunLimits, type Slot } from '../executor.js';
import { encodeRun } from '../protocol.js';
import { checkConnection, liveOptions, type ResolvedConnection } from './connection.js';
import type { QueueFailure, QueueJobData, QueueJobResult } from './wire.js';

/** How BullMQ retries a job whose tasks failed (see `attempts`). */
export type QueueBackoff =
  | number
  | {
      /** `'fixed'`: the same delay before each attempt; `'exponential'`: doubling from `delay`. */
      readonly type: 'fixed' | 'exponential';
      /** The (first) delay before a retry, in ms. */
      readonly delay: number;
    };

/** Options of {@link QueueExecutor}, resolved by `createQueuePool`. */
export interface QueueExecutorOptions {
  readonly connection: ResolvedConnection;
  readonly queue: string;
  readonly prefix: string;
  readonly maxInFlight: number;
  readonly connectTimeout: number;
  readonly attempts: number;
  readonly backoff?: QueueBackoff;
  readonly reconcileInterval: number;
  readonly eventsMaxLen: number;
  readonly autoBatch: AutoBatchTuning;
}

type FlightState = 'pending' | 'adding' | 'added' | 'settled';

/** One job in flight. */
class Flight {
  state: FlightState = 'pending';
  /** Reconcile rounds in a row that found the job missing from Redis. */
  missing = 0;
  abandoned = false;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly jobId: string,
    readonly jobs: readonly Job[],
    readonly data: QueueJobData,
    readonly done: Done,
    readonly started: number,
  ) {}
}

class QueueSlot implements Slot {
  private flight: Flight | undefined;

  constructor(private readonly executor: QueueExecutor) {}

  run(jobs: readonly Job[], done: Done, limits?: RunLimits): void {
    this.flight = this.executor.start(jobs, done, limits);
  }

  cancel(): void {
    if (this.flight) this.executor.cancel(this.flight);
  }

  abandon(): void {
    if (this.flight) this.executor.abandon(this.flight);
  }
}

/** Settles with `work`, or resolves after `ms`. */
function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** Runs batches as BullMQ jobs on worker hosts. */
export class QueueExecutor implements Executor {
  /** This pool's id (64 random bits, short: a job's id is in most of the commands and events Redis handles for it): the prefix of its job ids, so pools sharing a queue never collide. */
  readonly poolId = randomBytes(8).toString('hex');
  readonly tasks = undefined;
  readonly autoBatch: AutoBatchTuning;
  ready!: Promise<void>;
  private host!: ExecutorHost;
  private readonly flights = new Map<string, Flight>();
  private pendingAdds: Flight[] = [];
  private flushScheduled = false;
  private limit: number;
  private connected = false;
  private stopped = false;
  private queue: Queue | undefined;
  private events: QueueEvents | undefined;
  private reader: Redis | undefined;
  private reconcileTimer: ReturnType<typeof setInterval> | undefined;
  private reconciling = false;
  /** Request ids whose batch failed on the queue: their rerun goes under a fresh job id (`…#n`). */
  private readonly reruns = new Map<number, number>();
  private warned = false;

  constructor(private readonly options: QueueExecutorOptions) {
    this.limit = options.maxInFlight;
    this.autoBatch = options.autoBatch;
  }

  attach(host: ExecutorHost): void {
    this.host = host;
    this.ready = this.connect();
    this.ready.catch((error: unknown) => {
      this.host.fail(error instanceof QueueConnectionError ? error : new QueueConnectionError(this.options.connection.address, error));
      void this.close();
    });
  }

  get capacity(): number {
    return this.limit;
  }

  get busy(): number {
    return this.flights.size;
  }

  acquire(): Slot | undefined {
    if (!this.connected || this.stopped || this.flights.size >= this.limit) return undefined;
    return new QueueSlot(this);
  }

  createWorkers(n: number): Promise<void> {
    if (this.stopped) return Promise.reject(new PoolClosedError());
    this.limit += n;
    this.host.wake();
    return this.ready;
  }

  dismissWorkers(n: number): { count: number; gone: Promise<void> } {
    const count = Math.min(n, this.limit);
    this.limit -= count;
    return { count, gone: Promise.resolve() };
  }

  private async connect(): Promise<void> {
    const { connection, queue, prefix, connectTimeout, eventsMaxLen } = this.options;
    await checkConnection(connection, connectTimeout);
    if (this.stopped) return;
    const live = liveOptions(connection);
    const bullConnection = live as ConnectionOptions;
    const warn = (error: unknown): void => {
      // Connection errors repeat while Redis is away; ioredis reconnects. Say it once per outage.
      if (this.warned || this.stopped) return;
      this.warned = true;
      process.emitWarning(`rxjs-threadpool: lost Redis at ${connection.address} (${(error as Error).message}); reconnecting`);
    };
    this.queue = new Queue(queue, { connection: bullConnection, prefix, streams: { events: { maxLen: eventsMaxLen } } });
    this.events = new QueueEvents(queue, { connection: bullConnection, prefix });
    this.reader = new Redis(live);
    this.queue.on('error', warn);
    this.events.on('error', warn);
    this.reader.on('error', warn);
    this.reader.on('ready', () => (this.warned = false));
    this.events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue));
    this.events.on('failed', ({ jobId, failedReason }) => void this.onFailed(jobId, failedReason));
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    if (this.stopped) return;
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.options.reconcileInterval);
    this.reconcileTimer.unref();
    this.connected = true;
    this.host.wake();
  }

  /** A job id for a batch: the pool's id and the first and last request ids (one for a single request; and a rerun's count). BullMQ refuses ':' in ids. */
  private jobIdFor(jobs: readonly Job[]): string {
    const first = jobs[0].id;
    const last = jobs[jobs.length - 1].id;
    const rerun = this.reruns.get(first);
    return `${this.poolId}_${first}${last === first ? '' : `-${last}`}${rerun === undefined ? '' : `_${rerun}`}`;
  }

  /** @internal Starts a batch as a job. */
  start(jobs: readonly Job[], done: Done, limits?: RunLimits): Flight {
    const run = encodeRun(0, jobs);
    const timeout = limits?.timeout;
    const data: QueueJobData = { v: 1, tasks: run.tasks, args: run.args, spread: run.spread, ...(timeout === undefined ? {} : { timeout }) };
    const flight = new Flight(this.jobIdFor(jobs), jobs, data, done, performance.now());
    this.flights.set(flight.jobId, flight);
    if (timeout !== undefined) {
      // Counted from the moment the job is queued: the producer cannot see a remote start, and a
      // request whose job no host takes must still end.
      flight.timer = setTimeout(() => {
        this.withdraw(flight);
        this.settle(flight, failAll(jobs, (job) => new TaskTimeoutError(job.task, job.id, timeout)));
      }, timeout);
    }
    this.enqueue(flight);
    return flight;
  }

  private enqueue(flight: Flight): void {
    flight.state = 'pending';
    this.pendingAdds.push(flight);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Every batch the scheduler hands out in one pump goes to Redis in one addBulk.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const flights = this.pendingAdds.filter((flight) => flight.state === 'pending');
    this.pendingAdds = [];
    const queue = this.queue;
    if (flights.length === 0 || !queue || this.stopped) return;
    for (const flight of flights) flight.state = 'adding';
    const { attempts, backoff } = this.options;
    const jobs = flights.map((flight) => ({
      name: typeof flight.data.tasks === 'string' ? flight.data.tasks : 'batch',
      data: flight.data,
      opts: {
        jobId: flight.jobId,
        // BullMQ's default is one attempt; the option is stored with every job, so it is left out then.
        ...(attempts === 1 ? {} : { attempts }),
        ...(backoff === undefined ? {} : { backoff }),
        removeOnComplete: true,
        removeOnFail: { age: 3600 },
      },
    }));
    // One job: a plain add (addBulk wraps its jobs in MULTI/EXEC, two more commands).
    (jobs.length === 1 ? queue.add(jobs[0].name, jobs[0].data, jobs[0].opts) : queue.addBulk(jobs))
      .then(
        () => {
          for (const flight of flights) {
            if (flight.state !== 'adding') continue;
            flight.state = 'added';
            if (flight.abandoned) this.abandon(flight);
          }
        },
        (error: unknown) => {
          if (this.stopped) return;
          if (!isConnectionError(error)) {
            // BullMQ refused the jobs (their data is not JSON, say): those requests fail; others carry on.
            for (const flight of flights) this.settle(flight, failAll(flight.jobs, (job) => new DataCloneError(job.id, 'arguments', error)));
            return;
          }
          // Not added (Redis away): try again; the job ids make a second add of the same job a no-op.
          setTimeout(() => {
            for (const flight of flights) if (flight.state === 'adding') this.enqueue(flight);
          }, 200);
        },
      );
  }

  /** Ends a batch, once: a second completion (a job run twice) finds it gone and is ignored. */
  private settle(flight: Flight, outcomes: BatchOutcomes, workMs?: number): void {
    if (this.flights.get(flight.jobId) !== flight) return;
    flight.state = 'settled';
    clearTimeout(flight.timer);
    this.flights.delete(flight.jobId);
    flight.done(outcomes, performance.now() - flight.started, workMs);
  }

  private onCompleted(jobId: string, returnvalue: unknown): void {
    const flight = this.flights.get(jobId);
    if (!flight) return;
    let result: QueueJobResult;
    try {
      result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as QueueJobResult;
    } catch {
      return;
    }
    if (!result || !Array.isArray(result.values)) return;
    // The host's thread time ('auto' sizes batches by it: the round trip includes Redis and the host's load).
    this.settle(flight, decodeResult(flight.jobs, result), typeof result.ms === 'number' && result.ms >= 0 ? result.ms : undefined);
  }

  private async onFailed(jobId: string, failedReason: string): Promise<void> {
    const flight = this.flights.get(jobId);
    if (!flight || !this.reader) return;
    // Only a final failure ends the batch (a job that will be retried is still in flight).
    const [finishedOn] = await this.reader.hmget(this.jobKey(jobId), 'finishedOn').catch(() => [null]);
    if (finishedOn !== null) this.failed(flight, failedReason);
  }

  /** The job failed on the queue (it stalled too often, or its host failed): its requests are rerun once, alone, under new ids. */
  private failed(flight: Flight, reason: string): void {
    for (const job of flight.jobs) this.reruns.set(job.id, (this.reruns.get(job.id) ?? 0) + 1);
    this.settle(flight, failAll(flight.jobs, (job) => new WorkerCrashedError(job.id, `failed in BullMQ job ${flight.jobId}: ${reason || 'no reason given'}`)));
  }

  private jobKey(jobId: string): string {
    return `${this.options.prefix}:${this.options.queue}:${jobId}`;
  }

  /** Reads each added job's state: settles those whose completion was missed, adds again those Redis lost. */
  private async reconcile(): Promise<void> {
    const reader = this.reader;
    if (this.reconciling || !reader || this.stopped) return;
    const flights = [...this.flights.values()].filter((flight) => flight.state === 'added');
    if (flights.length === 0) return;
    this.reconciling = true;
    try {
      const pipeline = reader.pipeline();
      for (const flight of flights) pipeline.hmget(this.jobKey(flight.jobId), 'timestamp', 'finishedOn', 'returnvalue', 'failedReason');
      const replies = (await pipeline.exec()) ?? [];
      flights.forEach((flight, i) => {
        const [error, fields] = replies[i] ?? [];
        if (error || !Array.isArray(fields) || flight.state !== 'added') return;
        const [timestamp, finishedOn, returnvalue, failedReason] = fields as (string | null)[];
        if (timestamp === null) {
          // Gone (removed on completion, or lost with Redis): give its completion event a round to arrive first.
          if (++flight.missing >= 2) {
            flight.missing = 0;
            this.enqueue(flight);
            if (!this.flushScheduled) this.flush();
          }
          return;
        }
        flight.missing = 0;
        if (finishedOn === null) return;
        if (returnvalue !== null && returnvalue !== 'null') this.onCompleted(flight.jobId, returnvalue);
        else this.failed(flight, failedReason ?? '');
      });
    } catch {
      // Redis away: the next round tries again.
    } finally {
      this.reconciling = false;
    }
  }

  /** Removes a job that has not started (best effort: a started job is locked and stays). Resolves whether it was removed. */
  private withdraw(flight: Flight): Promise<boolean> {
    if (flight.state === 'pending') {
      flight.state = 'settled';
      return Promise.resolve(true);
    }
    const queue = this.queue;
    if (!queue || flight.state !== 'added') return Promise.resolve(false);
    return queue.remove(flight.jobId).then(
      (code) => code === 1,
      () => false,
    );
  }

  /** @internal `cancel: 'terminate'`: the batch ends now; its job is withdrawn if it has not started. */
  cancel(flight: Flight): void {
    void this.withdraw(flight);
    this.settleCancelled(flight);
  }

  /** @internal The lane was closed: withdraw the job if it has not started, else let it finish (its outcomes are dropped). */
  abandon(flight: Flight): void {
    flight.abandoned = true;
    if (flight.state === 'adding') return; // withdrawn once added
    if (flight.state === 'pending') {
      this.settleCancelled(flight);
      return;
    }
    void this.withdraw(flight).then((removed) => {
      if (removed) this.settleCancelled(flight);
    });
  }

  private settleCancelled(flight: Flight): void {
    this.settle(flight, failAll(flight.jobs, (job) => new TaskCancelledError(job.id)));
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.connected = false;
    clearInterval(this.reconcileTimer);
    const flights = [...this.flights.values()];
    const withdrawn = flights.map((flight) => this.withdraw(flight));
    for (const flight of flights) this.settle(flight, failAll(flight.jobs, (job) => new PoolClosedError(job.id)));
    await bounded(Promise.all(withdrawn), 2000);
    const { queue, events, reader } = this;
    await bounded(Promise.all([queue?.close(), events?.close(), reader?.quit()]), 3000);
    // Only if quit() did not end it: ioredis's disconnect() waits (a ref'd 2 s timer) for a 'close' that already happened.
    if (reader && reader.status !== 'end') reader.disconnect();
    // If Redis was away, close() gave up waiting: drop the connections now.
    await bounded(Promise.all([queue?.disconnect(), events?.disconnect()]), 1000);
  }
}

/** Whether an error is Redis being away (worth retrying) rather than BullMQ refusing the jobs. */
function isConnectionError(error: unknown): boolean {
  const { message = '', code = '' } = (error ?? {}) as { message?: string; code?: string };
  return /connect|connection|closed|ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|LOADING|READONLY|retries|stream isn't writeable/i.test(`${code} ${message}`);
}

/** Turns a job's return value back into typed outcomes for its requests. */
export function decodeResult(jobs: readonly Job[], result: QueueJobResult): BatchOutcomes {
  const { values, failures } = result;
  if (!failures || failures.length === 0) return { values };
  const errors = new Array<FailureError | undefined>(jobs.length);
  for (const failure of failures) {
    const job = jobs[failure.at];
    if (job) errors[failure.at] = errorFor(job, failure);
  }
  return { values, errors };
}

function errorFor(job: Job, { kind, error, known }: QueueFailure): FailureError {
  switch (kind) {
    case 'task':
      return new TaskError(job.task, job.id, error);
    case 'unknown-task':
      return new UnknownTaskError(job.task, known ?? []);
    case 'timeout':
      return new TaskTimeoutError(job.task, job.id, Number((error as { props?: { timeout?: unknown } }).props?.timeout) || 0);
    case 'crashed':
      return new WorkerCrashedError(job.id, `crashed on its worker host (${error.message})`);
    default:
      if (error.code === 'ERR_DATA_CLONE') return new DataCloneError(job.id, 'result', error);
      return new TaskError(job.task, job.id, error);
  }
}
