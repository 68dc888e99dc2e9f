/**
 * A pipeline: one subscriber's requests on a pool (a `poolMap`
 * subscription, a `ThreadPool`, one `pool.run` call). It owns its queue and
 * its tally, and hands each outcome to its owner.
 *
 * @module
 */
import { type FailureError, InvalidOptionError, QueueFullError, textOf } from '../errors.js';
import type { RunLimits, RunningBatch, SlotId } from '../executor.js';
import type { StreamRun } from '../wire.js';
import type { Outcome } from '../outcomes.js';
import type { WorkRequest } from '../requests.js';
import type { Timings } from '../timing.js';
import type { Transferable } from '../transfer.js';
import type { BatchSize, Sizable } from './batchSizing.js';
import type { Key } from '../keys.js';
import { JobQueue, type QueueCount, type QueuedJob } from './jobQueue.js';
import { KeyedQueue, type LinePlacement } from './keyedQueue.js';
import { PriorityJobQueue } from './priorityQueue.js';
import { Tally } from './tally.js';
import { reportUnhandled } from '../unhandled.js';

/**
 * What a pipeline does with each outcome: `ticket` is what `submit` was
 * given (a `poolMap` request's number in arrival order, which ordered
 * output sorts by).
 */
export type Deliver = (outcome: Outcome<readonly unknown[]>, ticket: number) => void;

/** What `queue.overflow` may be. */
export const OVERFLOW_POLICIES = ['error', 'drop-newest', 'drop-oldest'] as const;

/**
 * A bound on a pipeline's queued requests (`poolMap`'s `queue` option), and
 * what happens to a request that arrives when it is reached. Either way
 * every request still gets exactly one outcome: `'error'` and
 * `'drop-newest'` end the arriving request with `QueueFullError` (reasons
 * `'full'` and `'dropped'`); `'drop-oldest'` ends the longest-waiting one
 * (reason `'dropped'`) and queues the arriving one.
 */
export interface QueueBound {
  /** The most requests of the pipeline waiting for a worker; at least 1. */
  readonly size: number;
  /** What happens to a request that arrives when `size` are waiting. */
  readonly overflow: (typeof OVERFLOW_POLICIES)[number];
}

/** Options of a pipeline. */
export interface PipelineOptions {
  /** See {@link BatchSize}. Default `'auto'`. */
  readonly batch?: BatchSize;
  /** When it returns false the pipeline's queued requests wait (checked before each dispatch). */
  readonly gate?: () => boolean;
  /**
   * Run a request once more, alone, when its worker died under it (default
   * true). A request whose worker dies a second time is the culprit and ends
   * with `WorkerCrashedError`; its batch-mates get their results.
   */
  readonly rerunOnCrash?: boolean;
  /** Called after queued requests of this pipeline started (left the queue). */
  readonly dequeued?: () => void;
  /** A request running longer than this (ms) ends with `TaskTimeoutError` and its worker is replaced. Turns batching off. */
  readonly timeout?: number;
  /** After a timeout or cancel, how long (ms) a task that reads its signal may take to settle before its slot is terminated (see `RunLimits`). */
  readonly cancelGrace?: number;
  /**
   * What closing the pipeline does to its running requests: `'abandon'` (the
   * default) lets them finish and ignores their outcomes; `'terminate'`
   * terminates (and replaces) the workers running them.
   */
  readonly cancel?: 'abandon' | 'terminate';
  /**
   * Pipelines with a higher priority are served first; pipelines of equal
   * priority take turns (round-robin, one batch each); a pipeline waiting
   * for its turn gains 1 for every `AGING_STARTS` requests the pool starts
   * meanwhile. Default 0.
   */
  readonly priority?: number;
  /** Its requests each have a priority (given to `submit`): higher first, with aging (see `priorityQueue.ts`). */
  readonly ranked?: boolean;
  /** The pipeline's name in `stats.pipelines`. Default: the task's name. */
  readonly name?: string;
  /** Receives the progress values a request's task reports while it runs (generator tasks). */
  readonly progress?: (request: WorkRequest<readonly unknown[]>, value: unknown, ticket: number) => void;
  /**
   * Its requests carry keys (`submit`'s `key`): requests of one key run one
   * at a time, in arrival order, on the slot that owns the key.
   */
  readonly keyed?: boolean;
  /** Bounds its queued requests (see {@link QueueBound}). Default: unbounded. */
  readonly queue?: QueueBound;
  /** Its batches feed a stream task's instances (a keyed pipeline of `poolPipe`). */
  readonly stream?: StreamRun;
  /** Called as a batch of its requests is about to start, with the slot it is started on (`undefined`: the executor picks). */
  readonly started?: (jobs: readonly QueuedJob[], slot: SlotId | undefined) => void;
  /** Called when that batch did not start after all (no slot took it): it goes back to the queue. */
  readonly unstarted?: (jobs: readonly QueuedJob[]) => void;
  /** Called when a slot of the executor ended (before the `done` of its batches). */
  readonly slotEnded?: (slot: SlotId) => void;
}

/** What a pipeline needs from the scheduler it belongs to. */
export interface PipelineHost {
  /** Set once the pool takes no new request (it drains, or is closed): every later request ends with it. */
  readonly refusal: FailureError | undefined;
  /** Whether wait and run times are recorded. */
  readonly timing: boolean;
  /** Where keyed requests run (`undefined` when the executor places nothing). */
  readonly keys: LinePlacement | undefined;
  /** Requests queued over every pipeline of the pool. */
  readonly queueCount: QueueCount;
  /** Requests the pool has started in its life (the clock of priority aging). */
  readonly starts: number;
  /** The pool-wide bound on {@link PipelineHost.queueCount} (`maxQueue`), if any. */
  readonly maxQueue: number | undefined;
  /** A pipeline whose pulled source found the pool's queue full: told (its `dequeued`) when there is room again. */
  waitForRoom(pipeline: Pipeline): void;
  /** A request of `pipeline` found a queue full (`error` says which and how it ended). */
  queueFull(pipeline: Pipeline, error: QueueFullError): void;
  /** The pipeline's queue changed: it takes turns while it has work; look for work. */
  queueChanged(pipeline: Pipeline): void;
  /** Counts changed (the pool publishes its stats). */
  changed(): void;
  /** The pipeline closed. */
  closed(pipeline: Pipeline): void;
}

/** Why a request cannot be queued (it came from plain JavaScript with the wrong shape), if it cannot. */
function requestProblem(request: WorkRequest<readonly unknown[]>, task: unknown): InvalidOptionError | undefined {
  if (!Array.isArray(request.args)) {
    return new InvalidOptionError(
      'request.args',
      request.args,
      `an array of the task's arguments (request ${textOf(request.id)}): make requests with workRequest() or makeRequests()`,
    );
  }
  if (typeof task !== 'string' || task === '') return new InvalidOptionError('task', task, `a task name (request ${textOf(request.id)})`);
  return undefined;
}

/** A subscriber's requests on the scheduler. */
export class Pipeline implements Sizable {
  /** @internal Its requests waiting for a worker: one line, one by rank, or one per key. */
  readonly queue: JobQueue | PriorityJobQueue | KeyedQueue;
  /** @internal Its requests running and ended; rolls up into the pool's. */
  readonly tally: Tally;
  /** @internal Its batches running, with their requests (told when the pipeline closes: cancel or abandon; or when requests are withdrawn). */
  readonly runs = new Map<RunningBatch, readonly QueuedJob[]>();
  /** @internal Outcomes in hand, being delivered one at a time. */
  undelivered = 0;
  /** @internal */ closed = false;
  /** @internal Measured ms per request, for `'auto'` batches. */
  msPerJob: number | undefined;
  /** @internal Ms per request as the slots measured the running itself, without the trips to and from them, when they do. */
  workMsPerJob: number | undefined;
  /** @internal Bytes its requests' arguments copy, per request, as the slots estimate it, when they do. */
  bytesPerJob: number | undefined;
  /** @internal Its wait and run times, once recorded. */
  timings: Timings | undefined;
  /** @internal See {@link PipelineOptions.priority}. */
  private readonly basePriority: number;
  /** @internal */ readonly batch: BatchSize;
  /** @internal */ readonly timeout: number | undefined;
  /** The limits of every run when the pipeline has no progress listener (shared by its batches; none without a timeout or cancel grace). */
  private readonly fixedLimits: RunLimits | undefined;

  /** @internal */
  constructor(
    private readonly host: PipelineHost,
    poolTally: Tally,
    readonly task: string,
    private readonly owner: Deliver,
    /** @internal */ readonly options: PipelineOptions,
  ) {
    this.queue = options.keyed
      ? new KeyedQueue(task, host.keys, host.queueCount)
      : options.ranked
        ? new PriorityJobQueue(host.queueCount)
        : new JobQueue(task, undefined, host.queueCount);
    this.tally = new Tally(poolTally);
    this.basePriority = options.priority ?? 0;
    this.batch = options.batch ?? 'auto';
    this.timeout = options.timeout;
    const { timeout, cancelGrace } = options;
    this.fixedLimits =
      timeout === undefined && cancelGrace === undefined
        ? undefined
        : { ...(timeout === undefined ? {} : { timeout }), ...(cancelGrace === undefined ? {} : { cancelGrace }) };
  }

  /** @internal Its priority for its turns: its `priority` option, or, when its requests each have one, the next one's. */
  get priority(): number {
    return this.queue instanceof PriorityJobQueue ? this.queue.headPriority : this.basePriority;
  }

  /** @internal Whether it takes turns by priority at all (a `priority` option, a number not 0 or per request). */
  get ranked(): boolean {
    return this.basePriority !== 0 || this.options.ranked === true;
  }

  /** Requests queued in this pipeline, not yet started. */
  get queued(): number {
    return this.queue.length;
  }

  /** Requests of this pipeline not yet settled (queued, running, or with an outcome not yet delivered). */
  get pending(): number {
    return this.queue.length + this.tally.running + this.undelivered;
  }

  /** Requests of this pipeline running on a worker. */
  get running(): number {
    return this.tally.running;
  }

  /** @internal Batches running. */
  get batchesRunning(): number {
    return this.runs.size;
  }

  /**
   * Queues a request; its outcome is delivered through this pipeline with
   * `ticket`. `task` defaults to the pipeline's; `transfer` lists buffers
   * among its arguments to move rather than copy; `key` is its key in a
   * keyed pipeline (checked by the caller). A request of the wrong
   * shape (from plain JavaScript: `args` not an array) is not queued: it
   * ends at once with `InvalidOptionError`; one that finds the queue full
   * goes by the `queue` option's overflow policy.
   */
  submit(request: WorkRequest<readonly unknown[]>, ticket = 0, task: string = this.task, transfer?: readonly Transferable[], key?: Key, priority = 0): void {
    if (this.closed) return;
    const refusal = this.host.refusal ?? requestProblem(request, task);
    if (refusal) {
      this.refuse(request, ticket, refusal);
      return;
    }
    const bound = this.options.queue;
    if (bound && this.queue.length >= bound.size && !this.makeRoom(bound, request, ticket)) return;
    const { maxQueue } = this.host;
    if (maxQueue !== undefined && this.host.queueCount.queued >= maxQueue) {
      const error = new QueueFullError(maxQueue, request.id, 'full', 'pool');
      this.host.queueFull(this, error);
      this.refuse(request, ticket, error);
      return;
    }
    const moved = transfer && transfer.length > 0 ? transfer : undefined;
    const queuedAt = this.host.timing ? performance.now() : 0;
    const { queue } = this;
    if (queue instanceof KeyedQueue) queue.push(key!, request, ticket, task, moved, queuedAt);
    else if (queue instanceof PriorityJobQueue) queue.push(request, ticket, task, moved, queuedAt, priority, this.host.starts);
    else queue.push(request, ticket, task, moved, queuedAt);
    this.host.queueChanged(this);
  }

  /** The queue is full: `'drop-oldest'` ends the longest-waiting request and makes room; the others end the arriving one. */
  private makeRoom({ size, overflow }: QueueBound, request: WorkRequest<readonly unknown[]>, ticket: number): boolean {
    if (overflow === 'drop-oldest') {
      this.dropOldest((dropped) => {
        const error = new QueueFullError(size, dropped.id, 'dropped');
        this.host.queueFull(this, error);
        return error;
      });
      return true;
    }
    const error = new QueueFullError(size, request.id, overflow === 'error' ? 'full' : 'dropped');
    this.host.queueFull(this, error);
    this.refuse(request, ticket, error);
    return false;
  }

  /** Ends a request with `error` without queueing it (its callback threw, say). */
  refuse(request: WorkRequest<readonly unknown[]>, ticket: number, error: FailureError): void {
    this.tally.refused();
    this.host.changed();
    if (!this.closed) this.deliver({ ok: false, request, error }, ticket);
  }

  /** Ends the longest-waiting queued request with `error` (it never starts). False when none is queued. */
  private dropOldest(error: (request: WorkRequest<readonly unknown[]>) => FailureError): boolean {
    const job = this.queue.shift();
    if (!job) return false;
    this.tally.refused();
    this.host.queueChanged(this);
    this.deliver({ ok: false, request: job.request, error: error(job.request) }, job.ticket);
    return true;
  }

  /** Looks for work again (after the gate opened). */
  wake(): void {
    this.host.queueChanged(this);
  }

  /** Drops the queued requests (they never start) and ignores running ones' outcomes (stopping their slots with `cancel: 'terminate'`). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const dropped = this.queue.drain().length;
    this.host.closed(this);
    if (dropped > 0) this.host.changed();
    const runs = [...this.runs.keys()];
    if (this.options.cancel === 'terminate') for (const run of runs) run.cancel();
    else for (const run of runs) run.abandon?.();
  }

  /**
   * @internal Aborts the signals of the running requests given with these
   * tickets (a queue host's job, withdrawn by its producer while it ran):
   * a task that reads its signal stops by itself; nothing else changes, and
   * their outcomes come as their tasks give them.
   */
  abortRunning(tickets: ReadonlySet<number>): void {
    for (const [run, jobs] of this.runs) {
      const hit = jobs.filter((job) => tickets.has(job.ticket));
      if (hit.length > 0) run.abortSignals?.(hit);
    }
  }

  /**
   * Whether a pulled source may queue another request: its own bound
   * (`limit`) and the pool's (`maxQueue`) have room. When the pool's has
   * none, the pipeline is told (its `dequeued`) once it has.
   */
  hasRoomFor(limit: number): boolean {
    if (this.queue.length >= limit) return false;
    const { maxQueue } = this.host;
    if (maxQueue === undefined || this.host.queueCount.queued < maxQueue) return true;
    this.host.waitForRoom(this);
    return false;
  }

  /** @internal Whether its gate lets queued requests start now. */
  gateOpen(): boolean {
    const gate = this.options.gate;
    return !gate || gate();
  }

  /** @internal What a run of `jobs` is given, if anything. */
  limitsFor(jobs: readonly QueuedJob[]): RunLimits | undefined {
    const progress = this.options.progress;
    if (!progress) return this.fixedLimits;
    return {
      ...this.fixedLimits,
      progress: (at, value) => {
        const job = jobs[at];
        if (!this.closed && job) progress(job.request, value, job.ticket);
      },
    };
  }

  /**
   * @internal Hands an outcome to the pipeline's owner. An owner that throws
   * (a subscriber's `next` under RxJS's synchronous error handling, say)
   * must not cost the requests after it their outcomes: the error goes to
   * RxJS's `config.onUnhandledError`, else is rethrown asynchronously, as
   * RxJS reports an unhandled error.
   */
  deliver(outcome: Outcome<readonly unknown[]>, ticket: number): void {
    try {
      this.owner(outcome, ticket);
    } catch (error) {
      reportUnhandled(error);
    }
  }
}
