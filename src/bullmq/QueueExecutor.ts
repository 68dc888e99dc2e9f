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
 * A job's return value is checked against the wire's schema
 * (`jobResultProblem`) before it is read: a malformed one, like a host's
 * refusal of the job, ends the job's requests with `ProtocolError`, never
 * a rerun (whoever answered cannot be trusted to answer again).
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
  ProtocolError,
  QueueConnectionError,
  TaskCancelledError,
  TaskError,
  TaskTimeoutError,
  textOf,
  UnknownTaskError,
  WorkerCrashedError,
} from '../errors.js';
import {
  type AutoBatchTuning,
  type BatchOutcomes,
  type Done,
  type Executor,
  type ExecutorHost,
  failAll,
  type Job,
  type RunLimits,
  type RunningBatch,
} from '../executor.js';
import { encodeRun } from '../protocol.js';
import { checkConnection, liveOptions, type ResolvedConnection } from './connection.js';
import { JOB_REFUSED, jobResultProblem, type QueueFailure, type QueueJobData, type QueueJobResult } from './wire.js';

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
  /** The pool's stable id (`createQueuePool({ id })`), when the user set one. */
  readonly id?: string;
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

/** How many job ids one read of the queue's waiting jobs returns, when a pool with an id starts. */
const SCAN_PAGE = 10_000;

/** Runs batches as BullMQ jobs on worker hosts. */
export class QueueExecutor implements Executor {
  /**
   * The prefix of this pool's job ids, unique to this start of the pool, so
   * pools sharing a queue never collide, and a restarted pool's new jobs
   * never take the ids of its predecessor's (request ids start at 1 again
   * in a new process). Without an `id`, 64 random bits; with one,
   * `id.` and 32 random bits (this start's epoch). Short: a job's id is in
   * most of the commands and events Redis handles for it.
   */
  readonly poolId: string;
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
    this.poolId = options.id === undefined ? randomBytes(8).toString('hex') : `${options.id}.${randomBytes(4).toString('hex')}`;
  }

  attach(host: ExecutorHost): void {
    this.host = host;
    // Closed before it was ready, `ready` says so (whatever the start was doing then).
    this.ready = this.connect().catch((error: unknown) => {
      throw this.stopped ? new PoolClosedError() : error;
    });
    this.ready.catch((error: unknown) => {
      if (this.stopped) return; // close() has ended every request
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

  start(jobs: readonly Job[], done: Done, limits: RunLimits | undefined): RunningBatch | undefined {
    if (!this.connected || this.stopped || this.flights.size >= this.limit) return undefined;
    const flight = this.launch(jobs, done, limits);
    return { cancel: () => this.cancel(flight), abandon: () => this.abandon(flight) };
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
    if (this.stopped) throw new PoolClosedError();
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
    this.events.on('failed', ({ jobId, failedReason }) => void this.onFailed(jobId, typeof failedReason === 'string' ? failedReason : ''));
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    if (this.stopped) throw new PoolClosedError();
    if (this.options.id !== undefined) await this.withdrawPredecessors(this.queue, this.options.id);
    if (this.stopped) throw new PoolClosedError();
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.options.reconcileInterval);
    this.reconcileTimer.unref();
    this.connected = true;
    this.host.wake();
  }

  /**
   * Removes the jobs of this pool's predecessors (the same `id`, an earlier
   * start) that no host has started: a producer that died left them, and
   * nobody reads their results. Those already running finish; their results
   * are dropped. Best effort: a job a host takes meanwhile runs.
   */
  private async withdrawPredecessors(queue: Queue, id: string): Promise<void> {
    const family = `${id}.`;
    const mine = `${this.poolId}_`;
    const stale = new Set<string>();
    // Ids only (not the jobs), a page at a time over the waiting, prioritized and delayed jobs. New jobs are
    // pushed at the head of the wait list and hosts take from its tail: a page may repeat ids, not skip them.
    for (let start = 0; ; start += SCAN_PAGE) {
      const ids = await queue.getRanges(['wait', 'prioritized', 'delayed'], start, start + SCAN_PAGE - 1);
      if (ids.length === 0) break;
      for (const jobId of ids) if (jobId.startsWith(family) && !jobId.startsWith(mine)) stale.add(jobId);
    }
    const all = [...stale];
    for (let i = 0; i < all.length && !this.stopped; i += 500) {
      // remove() leaves a job a host has locked meanwhile.
      await Promise.all(all.slice(i, i + 500).map((jobId) => queue.remove(jobId).catch(() => 0)));
    }
  }

  /** A job id for a batch: the pool's id and the first and last request ids (one for a single request; and a rerun's count). BullMQ refuses ':' in ids. */
  private jobIdFor(jobs: readonly Job[]): string {
    const first = jobs[0].id;
    const last = jobs[jobs.length - 1].id;
    const rerun = this.reruns.get(first);
    return `${this.poolId}_${first}${last === first ? '' : `-${last}`}${rerun === undefined ? '' : `_${rerun}`}`;
  }

  /** Starts a batch as a job. */
  private launch(jobs: readonly Job[], done: Done, limits?: RunLimits): Flight {
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
        this.settle(
          flight,
          failAll(jobs, (job) => new TaskTimeoutError(job.task, job.id, timeout)),
        );
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
    (jobs.length === 1 ? queue.add(jobs[0].name, jobs[0].data, jobs[0].opts) : queue.addBulk(jobs)).then(
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
          for (const flight of flights)
            this.settle(
              flight,
              failAll(flight.jobs, (job) => new DataCloneError(job.id, 'arguments', error)),
            );
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

  /** A job completed: its return value (parsed by QueueEvents, or the stored text the reconciler read) is checked, then read. */
  private onCompleted(jobId: string, returnvalue: unknown, stored = false): void {
    const flight = this.flights.get(jobId);
    if (!flight) return;
    let result: unknown = returnvalue;
    if (stored) {
      try {
        result = JSON.parse(returnvalue as string);
      } catch {
        this.refuse(flight, 'the job result is not JSON');
        return;
      }
    }
    const problem = jobResultProblem(result, flight.jobs.length);
    if (problem !== undefined) {
      this.refuse(flight, problem);
      return;
    }
    const valid = result as QueueJobResult;
    // A request whose thread crashed on the host is rerun (alone): under a fresh job id, as after a failed job.
    if (valid.failures) for (const failure of valid.failures) if (failure.kind === 'crashed') this.bumpRerun(flight.jobs[failure.at].id);
    let outcomes: BatchOutcomes;
    try {
      outcomes = decodeResult(flight.jobs, valid);
    } catch (error) {
      // Not expected of a checked result; but this runs in QueueEvents' listener, which must never throw.
      this.refuse(flight, `the job result cannot be read (${textOf(error)})`);
      return;
    }
    // The host's thread time ('auto' sizes batches by it: the round trip includes Redis and the host's load).
    this.settle(flight, outcomes, valid.ms);
  }

  /** The job's answer cannot be used (a malformed result, or the host refused the job): its requests end with ProtocolError. */
  private refuse(flight: Flight, reason: string, refused = false): void {
    this.settle(
      flight,
      failAll(flight.jobs, (job) => new ProtocolError('queue', reason, job.id, refused)),
    );
  }

  private async onFailed(jobId: string, failedReason: string): Promise<void> {
    const flight = this.flights.get(jobId);
    if (!flight || !this.reader) return;
    // Only a final failure ends the batch (a job that will be retried is still in flight).
    const [finishedOn] = await this.reader.hmget(this.jobKey(jobId), 'finishedOn').catch(() => [null]);
    if (finishedOn !== null) this.failed(flight, failedReason);
  }

  /**
   * The job failed on the queue (it stalled too often, or its host failed):
   * its requests are rerun once, alone, under new ids. A job a host refused
   * (its data failed the host's checks) is not: it would be refused again.
   */
  private failed(flight: Flight, reason: string): void {
    if (reason.startsWith(JOB_REFUSED)) {
      this.refuse(flight, reason.slice(JOB_REFUSED.length), true);
      return;
    }
    for (const job of flight.jobs) this.bumpRerun(job.id);
    this.settle(
      flight,
      failAll(flight.jobs, (job) => new WorkerCrashedError(job.id, `failed in BullMQ job ${flight.jobId}: ${reason || 'no reason given'}`)),
    );
  }

  /** The next job of request `id`, a rerun, goes under a fresh job id (`…_n`). */
  private bumpRerun(id: number): void {
    this.reruns.set(id, (this.reruns.get(id) ?? 0) + 1);
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
        // Completed jobs have a return value (`null` is stored as the text "null"); failed ones have none.
        if (returnvalue !== null) this.onCompleted(flight.jobId, returnvalue, true);
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

  /** `cancel: 'terminate'`: the batch ends now; its job is withdrawn if it has not started. */
  private cancel(flight: Flight): void {
    void this.withdraw(flight);
    this.settleCancelled(flight);
  }

  /** The pipeline was closed: withdraw the job if it has not started, else let it finish (its outcomes are dropped). */
  private abandon(flight: Flight): void {
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
    this.settle(
      flight,
      failAll(flight.jobs, (job) => new TaskCancelledError(job.id)),
    );
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.connected = false;
    clearInterval(this.reconcileTimer);
    const flights = [...this.flights.values()];
    const withdrawn = flights.map((flight) => this.withdraw(flight));
    for (const flight of flights)
      this.settle(
        flight,
        failAll(flight.jobs, (job) => new PoolClosedError(job.id)),
      );
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

/** Turns a job's return value (checked by `jobResultProblem`) back into typed outcomes for its requests. */
export function decodeResult(jobs: readonly Job[], result: QueueJobResult): BatchOutcomes {
  const { values, failures } = result;
  if (!failures || failures.length === 0) return { values };
  const errors = new Array<FailureError | undefined>(jobs.length);
  for (const failure of failures) errors[failure.at] = errorFor(jobs[failure.at], failure);
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
      // The host's DataCloneError: its `what` and `position` travel in props (the message names the host's request id).
      if (error.code === 'ERR_DATA_CLONE') {
        const { what, position } = error.props ?? {};
        return new DataCloneError(job.id, what === 'arguments' ? 'arguments' : 'result', error, typeof position === 'number' ? position : undefined);
      }
      return new TaskError(job.task, job.id, error);
  }
}
