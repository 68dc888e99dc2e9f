/**
 * The BullMQ executor: a slot is one BullMQ job in flight. A batch of
 * requests becomes one job (its id derived from the requests' ids, see
 * `JobIds`), worker hosts (`serveTasks`) run it on their threads, and its
 * return value carries one outcome per request.
 *
 * Completions arrive through `QueueEvents`; the `Reconciler` also reads
 * each in-flight job's state every `reconcileInterval`, so a completion the
 * events stream missed is still found and a job Redis lost is added again.
 * Each batch settles once: a second completion is ignored.
 *
 * A job's return value is checked against the wire's schema before it is
 * read (`readJobResult`): a malformed one, like a host's refusal of the
 * job, ends the job's requests with `ProtocolError`, never a rerun (whoever
 * answered cannot be trusted to answer again).
 *
 * @module
 */
import { withDeadline } from '../deadline.js';
import { DataCloneError, PoolClosedError, ProtocolError, QueueConnectionError, TaskCancelledError, TaskTimeoutError, WorkerCrashedError } from '../errors.js';
import {
  type AutoBatchTuning,
  type BatchOutcomes,
  type BatchStart,
  type Done,
  type Executor,
  type ExecutorHost,
  failAll,
  type Job,
  type RunLimits,
  type RunningBatch,
} from '../executor.js';
import { encodeBatch } from '../wire.js';
import { checkConnection } from './connection.js';
import { Flight } from './Flight.js';
import { JobAdder, type JobRetries } from './JobAdder.js';
import { JobIds } from './JobIds.js';
import { ProducerClients, type QueuePlace } from './ProducerClients.js';
import { readJobResult } from './readJobResult.js';
import { Reconciler } from './Reconciler.js';
import { JOB_REFUSED, type QueueJobData } from './wire.js';
import { withdrawPredecessors } from './withdrawPredecessors.js';

/** Options of {@link QueueExecutor}, resolved by `createQueuePool`. */
export interface QueueExecutorOptions extends QueuePlace, JobRetries {
  /** The pool's stable id (`createQueuePool({ id })`), when the user set one. */
  readonly id?: string;
  readonly maxInFlight: number;
  readonly connectTimeout: number;
  readonly reconcileInterval: number;
  readonly autoBatch: AutoBatchTuning;
}

/** What the executor is doing: reaching Redis (no batch starts yet), running batches, or closed. */
type Phase = 'connecting' | 'open' | 'closed';

/** What an open executor talks to Redis with. */
interface Link {
  readonly adder: JobAdder;
  readonly reconciler: Reconciler;
}

/** Runs batches as BullMQ jobs on worker hosts. */
export class QueueExecutor implements Executor {
  readonly tasks = undefined;
  readonly autoBatch: AutoBatchTuning;
  ready!: Promise<void>;
  private host!: ExecutorHost;
  private phase: Phase = 'connecting';
  /** The batches in flight, by job id (`busy` is their count). */
  private readonly flights = new Map<string, Flight>();
  private limit: number;
  private readonly ids: JobIds;
  /** Created when the executor is attached, closed with it. */
  private clients: ProducerClients | undefined;
  /** Set once connected. */
  private link: Link | undefined;

  constructor(private readonly options: QueueExecutorOptions) {
    this.limit = options.maxInFlight;
    this.autoBatch = options.autoBatch;
    this.ids = new JobIds(options.id);
  }

  attach(host: ExecutorHost): void {
    this.host = host;
    // Closed before it was ready, `ready` says so (whatever the start was doing then).
    this.ready = this.connect().catch((error: unknown) => {
      throw this.phase === 'closed' ? new PoolClosedError() : error;
    });
    this.ready.catch((error: unknown) => {
      if (this.phase === 'closed') return; // close() has ended every request
      this.host.fail(error instanceof QueueConnectionError ? error : new QueueConnectionError(this.options.connection.address, error));
      void this.close();
    });
  }

  get capacity(): number {
    return this.limit;
  }

  /** Workers are up at once. */
  readonly starting = 0;

  get busy(): number {
    return this.flights.size;
  }

  /**
   * No `placement`: any host runs any job, so keys have no host affinity;
   * the scheduler still runs one batch per key at a time, so a key's
   * requests run in order across hosts.
   */
  start({ jobs, limits }: BatchStart, done: Done): RunningBatch | undefined {
    const link = this.link;
    if (!link || this.phase !== 'open' || this.flights.size >= this.limit) return undefined;
    const flight = this.launch(link.adder, jobs, done, limits);
    return { slot: undefined, cancel: () => this.cancel(flight), abandon: () => this.abandon(flight) };
  }

  createWorkers(n: number): Promise<void> {
    if (this.phase === 'closed') return Promise.reject(new PoolClosedError());
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
    const { connection, connectTimeout, reconcileInterval, id } = this.options;
    const closed = (): boolean => this.phase === 'closed';
    await checkConnection(connection, connectTimeout);
    if (closed()) throw new PoolClosedError();
    const clients = (this.clients = new ProducerClients(this.options));
    clients.events.on('completed', ({ jobId, returnvalue }) => this.completed(this.flights.get(jobId), returnvalue, false));
    clients.events.on('failed', ({ jobId, failedReason }) => void this.onFailed(jobId, typeof failedReason === 'string' ? failedReason : ''));
    await clients.ready();
    if (closed()) throw new PoolClosedError();
    if (id !== undefined) await withdrawPredecessors(clients.queue, this.ids, closed);
    if (closed()) throw new PoolClosedError();
    const adder = new JobAdder(clients.queue, this.options, {
      added: (flight) => {
        if (flight.withdrawWhenAdded) this.abandon(flight);
      },
      refused: (flight, error) =>
        this.settle(
          flight,
          failAll(flight.jobs, (job) => new DataCloneError(job.id, 'arguments', error)),
        ),
    });
    const reconciler = new Reconciler(clients, reconcileInterval, {
      added: () => [...this.flights.values()].filter((flight) => flight.state === 'added'),
      completed: (flight, storedResult) => this.completed(flight, storedResult, true),
      failed: (flight, reason) => this.failed(flight, reason),
      lost: (flight) => adder.add(flight),
    });
    this.link = { adder, reconciler };
    this.phase = 'open';
    this.host.wake();
  }

  /** Starts a batch as a job. */
  private launch(adder: JobAdder, jobs: readonly Job[], done: Done, limits?: RunLimits): Flight {
    const timeout = limits?.timeout;
    const data: QueueJobData = { v: 1, ...encodeBatch(jobs), ...(timeout === undefined ? {} : { timeout }) };
    const flight = new Flight(this.ids.of(jobs), jobs, data, done, performance.now());
    this.flights.set(flight.jobId, flight);
    if (timeout !== undefined) {
      // Counted from the moment the job is queued: the producer cannot see a remote start, and a
      // request whose job no host takes must still end.
      flight.timer = setTimeout(() => {
        void this.withdrawOrAbort(flight);
        this.settle(
          flight,
          failAll(jobs, (job) => new TaskTimeoutError(job.task, job.id, timeout)),
        );
      }, timeout);
    }
    adder.add(flight);
    return flight;
  }

  /** Ends a batch, once: a second completion (a job run twice) finds it settled and is ignored. */
  private settle(flight: Flight, outcomes: BatchOutcomes, workMs?: number): void {
    if (flight.state === 'settled') return;
    flight.state = 'settled';
    clearTimeout(flight.timer);
    this.flights.delete(flight.jobId);
    flight.done(outcomes, performance.now() - flight.started, workMs);
  }

  /** A job completed: its return value (parsed by QueueEvents, or the text Redis stores) is checked, then read. */
  private completed(flight: Flight | undefined, returnvalue: unknown, stored: boolean): void {
    if (!flight) return;
    const answer = readJobResult(flight.jobs, returnvalue, stored);
    if (typeof answer === 'string') {
      this.refuse(flight, answer);
      return;
    }
    // A request whose thread crashed on the host is rerun (alone): under a fresh job id, as after a failed job.
    for (const at of answer.crashed) this.ids.rerun(flight.jobs[at].id);
    // The host's thread time ('auto' sizes batches by it: the round trip includes Redis and the host's load).
    this.settle(flight, answer.outcomes, answer.workMs);
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
    const clients = this.clients;
    if (!flight || !clients) return;
    // Only a final failure ends the batch (a job that will be retried is still in flight).
    const [finishedOn] = await clients.reader.hmget(clients.jobKey(jobId), 'finishedOn').catch(() => [null]);
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
    for (const job of flight.jobs) this.ids.rerun(job.id);
    this.settle(
      flight,
      failAll(flight.jobs, (job) => new WorkerCrashedError(job.id, `failed in BullMQ job ${flight.jobId}: ${reason || 'no reason given'}`)),
    );
  }

  /**
   * Removes a job that has not started (best effort: a started job is
   * locked and stays). Resolves whether it was removed; one not sent yet
   * needs no removal (settling it keeps it from being sent).
   */
  private withdraw(flight: Flight): Promise<boolean> {
    if (flight.state === 'unsent') return Promise.resolve(true);
    const queue = this.clients?.queue;
    if (!queue || flight.state !== 'added') return Promise.resolve(false);
    return queue.remove(flight.jobId).then(
      (code) => code === 1,
      () => false,
    );
  }

  /**
   * Withdraws a job (see {@link withdraw}); one a host has started is
   * announced as withdrawn instead, and that host aborts its requests'
   * signals (a task that reads its signal stops by itself).
   */
  private withdrawOrAbort(flight: Flight): Promise<void> {
    const added = flight.state === 'added';
    return this.withdraw(flight).then((removed) => {
      if (added && !removed) this.clients?.announceWithdrawn(flight.jobId);
    });
  }

  /** `cancel: 'terminate'`: the batch ends now; its job is withdrawn if it has not started, else its host aborts its signals. */
  private cancel(flight: Flight): void {
    void this.withdrawOrAbort(flight);
    this.settleCancelled(flight);
  }

  /** The pipeline was closed: withdraw the job if it has not started, else let it finish (its outcomes are dropped). */
  private abandon(flight: Flight): void {
    if (flight.state === 'adding') {
      flight.withdrawWhenAdded = true;
      return;
    }
    if (flight.state === 'unsent') {
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
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.link?.reconciler.stop();
    this.link?.adder.close();
    const flights = [...this.flights.values()];
    const withdrawn = flights.map((flight) => this.withdrawOrAbort(flight));
    for (const flight of flights)
      this.settle(
        flight,
        failAll(flight.jobs, (job) => new PoolClosedError(job.id)),
      );
    await withDeadline(Promise.all(withdrawn), 2000);
    await this.clients?.close();
  }
}
