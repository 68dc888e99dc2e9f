/**
 * The one dispatch path: every request, from `poolMap` or `ThreadPool`,
 * waits here until the executor has an idle slot.
 *
 * Requests are queued per lane (one lane per subscriber); lanes are served
 * round-robin so one fast producer cannot starve another pipeline on the
 * same pool. A lane may hold its requests back (a gate: ordered output's
 * buffer, `ThreadPool`'s result queue). Several queued requests of a lane
 * can travel to a slot as one batch (see {@link BatchSize}). Closing a lane
 * drops its queued requests (they never start) and discards the outcomes of
 * its running ones; with `cancel: 'terminate'` it also stops the slots
 * running them, and an executor may withdraw batches that have not started.
 *
 * @module
 */
import { config } from 'rxjs';
import { type FailureError, InvalidOptionError, textOf, WorkerCrashedError } from './errors.js';
import type { AutoBatchTuning, BatchOutcomes, Executor, Job, RunLimits, Slot } from './executor.js';
import type { Outcome } from './outcomes.js';
import type { WorkRequest } from './requests.js';
import { BusyTime, smoothed, Timings } from './timing.js';
import type { Transferable } from './transfer.js';
import { anyDetached } from './transferChecks.js';

/** Counters the scheduler keeps. */
export interface SchedulerCounts {
  queued: number;
  running: number;
  completed: number;
  failed: number;
}

/**
 * How many queued requests travel to a worker together (`poolMap`'s `batch`
 * option): a fixed number, or `'auto'`, which sends one at a time until it
 * has measured the task, then batches only tasks that take under 1 ms each
 * (`AUTO_BATCH_MAX_JOB_MS`), sized to about 4 ms of work
 * (`AUTO_BATCH_TARGET_MS`), at most 2048 requests, and to a fair share of
 * the queue per worker, so batching never idles a worker or delays a slow
 * task's outcome.
 */
export type BatchSize = number | 'auto';

/** `'auto'` batches only tasks faster than this (ms per request). */
export const AUTO_BATCH_MAX_JOB_MS = 1;
/** `'auto'` aims at batches of about this much work (ms). */
export const AUTO_BATCH_TARGET_MS = 4;
/** `'auto'` never sends more requests than this in one batch. */
export const AUTO_BATCH_MAX = 2048;

/** What a lane does with each outcome: `tag` is what `submit` was given. */
export type Deliver = (outcome: Outcome<readonly unknown[]>, tag: number) => void;

/** Options of a lane. */
export interface LaneOptions {
  /** See {@link BatchSize}. Default `'auto'`. */
  readonly batch?: BatchSize;
  /** When it returns false the lane's queued requests wait (checked before each dispatch). */
  readonly gate?: () => boolean;
  /**
   * Run a request once more, alone, when its worker died under it (default
   * true). A request whose worker dies a second time is the culprit and ends
   * with `WorkerCrashedError`; its batch-mates get their results.
   */
  readonly rerunOnCrash?: boolean;
  /** Called after queued requests of this lane started (left the queue). */
  readonly dequeued?: () => void;
  /** A request running longer than this (ms) ends with `TaskTimeoutError` and its worker is replaced. Turns batching off. */
  readonly timeout?: number;
  /**
   * What closing the lane does to its running requests: `'abandon'` (the
   * default) lets them finish and ignores their outcomes; `'terminate'`
   * terminates (and replaces) the workers running them.
   */
  readonly cancel?: 'abandon' | 'terminate';
  /**
   * Lanes with a higher priority are served first; lanes of equal priority
   * take turns (round-robin, one batch each). Default 0.
   */
  readonly priority?: number;
  /** The pipeline's name in `stats.pipelines`. Default: the task's name. */
  readonly name?: string;
  /** Receives the progress values a request's task reports while it runs (generator tasks). */
  readonly progress?: (request: WorkRequest<readonly unknown[]>, value: unknown, tag: number) => void;
}

/** A queued request: the job an executor runs, and what the lane needs to deliver its outcome. */
class Entry implements Job {
  readonly id: number;
  readonly args: readonly unknown[];
  /** Its worker died under it once: it runs again alone, and a second death is its own fault. */
  suspect = false;
  /** When it was queued (`performance.now()`), while timings are recorded; else 0. */
  queuedAt = 0;

  constructor(
    readonly task: string,
    readonly request: WorkRequest<readonly unknown[]>,
    readonly tag: number,
    readonly transfer: readonly Transferable[] | undefined,
  ) {
    this.id = request.id;
    this.args = request.args;
  }
}

/** A subscriber's queue on the scheduler. */
export class Lane {
  /** @internal */ readonly queue: Entry[] = [];
  /** @internal */ head = 0;
  /** @internal */ running = 0;
  /** @internal */ ringed = false;
  /** @internal */ closed = false;
  /** @internal Measured ms per request, for `'auto'` batches. */
  msPerJob: number | undefined;
  /**
   * @internal Ms per request as the slots measured the running itself,
   * without the trips to and from them (a worker's own clock), when they do.
   */
  workMsPerJob: number | undefined;
  /** @internal Requests of this lane that ended with a result. */
  completed = 0;
  /** @internal Requests of this lane that ended with an error. */
  failed = 0;
  /** @internal Its wait and run times, once recorded. */
  timings: Timings | undefined;
  /** @internal The slots running this lane's batches (told when the lane closes: cancel or abandon). */
  readonly slots = new Set<Slot>();

  /** @internal */
  constructor(
    private readonly scheduler: Scheduler,
    readonly task: string,
    /** @internal */ readonly deliver: Deliver,
    /** @internal */ readonly options: LaneOptions,
  ) {
    this.priority = options.priority ?? 0;
    this.timeoutOnly = options.timeout === undefined ? undefined : { timeout: options.timeout };
  }

  /** @internal See {@link LaneOptions.priority}. */
  readonly priority: number;
  /** The limits of every run when the lane has no progress listener (shared by its batches; none without a timeout). */
  private readonly timeoutOnly: RunLimits | undefined;

  /** @internal What a run of `entries` is given, if anything. */
  runOptions(entries: readonly Entry[]): RunLimits | undefined {
    const progress = this.options.progress;
    if (!progress) return this.timeoutOnly;
    return {
      timeout: this.options.timeout,
      progress: (at, value) => {
        const entry = entries[at];
        if (!this.closed && entry) progress(entry.request, value, entry.tag);
      },
    };
  }

  /** Requests queued in this lane, not yet started. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Requests of this lane not yet settled (queued or running). */
  get pending(): number {
    return this.queued + this.running;
  }

  /**
   * Queues a request; its outcome is delivered through this lane with `tag`.
   * `task` defaults to the lane's; `transfer` lists buffers among its
   * arguments to move rather than copy. A request of the wrong shape (from
   * plain JavaScript: `args` not an array) is not queued: it ends at once
   * with `InvalidOptionError`.
   */
  submit(request: WorkRequest<readonly unknown[]>, tag = 0, task: string = this.task, transfer?: readonly Transferable[]): void {
    this.scheduler.submit(this, request, tag, task, transfer);
  }

  /** Ends a request with `error` without queueing it (a full queue refused it, say). */
  refuse(request: WorkRequest<readonly unknown[]>, tag: number, error: FailureError): void {
    this.scheduler.refuse(this, request, tag, error);
  }

  /** Ends the longest-waiting queued request with `error` (it never starts). False when none is queued. */
  dropOldest(error: (request: WorkRequest<readonly unknown[]>) => FailureError): boolean {
    return this.scheduler.dropOldest(this, error);
  }

  /** Looks for work again (after the gate opened). */
  wake(): void {
    this.scheduler.pump();
  }

  /** Drops the queued requests (they never start) and ignores running ones' outcomes (stopping their slots with `cancel: 'terminate'`). */
  close(): void {
    this.scheduler.closeLane(this);
  }

  /** @internal Takes up to `size` queued entries; a suspect entry always travels alone. */
  take(size: number): Entry[] {
    const queue = this.queue;
    if (queue[this.head].suspect) return [queue[this.head++]];
    const end = Math.min(this.head + size, queue.length);
    let stop = this.head + 1;
    while (stop < end && !queue[stop].suspect) stop++;
    const entries = queue.slice(this.head, stop);
    this.head = stop;
    return entries;
  }

  /** @internal Puts entries back at the front of the queue, in order. */
  requeue(entries: readonly Entry[]): void {
    if (this.head >= entries.length) {
      this.head -= entries.length;
      for (let i = 0; i < entries.length; i++) this.queue[this.head + i] = entries[i];
    } else {
      this.queue.splice(0, this.head, ...entries);
      this.head = 0;
    }
  }

  /**
   * @internal Whether the lane may start a batch now: its gate is open, and
   * an `'auto'` lane of fast (or not yet measured) tasks runs fewer batches
   * than the executor's `spread`.
   */
  mayStart(tuning: AutoBatchTuning | undefined): boolean {
    const { gate, batch = 'auto', timeout } = this.options;
    if (gate && !gate()) return false;
    if (tuning?.spread === undefined || this.slots.size < Math.max(1, tuning.spread) || batch !== 'auto' || timeout !== undefined) return true;
    const ms = this.sizingMs(tuning);
    return ms !== undefined && ms >= tuning.maxJobMs;
  }

  /** The ms per request `'auto'` sizes batches by: the slots' own measure when the executor asks for it and has one. */
  private sizingMs(tuning: AutoBatchTuning | undefined): number | undefined {
    return tuning?.byWorkTime ? (this.workMsPerJob ?? this.msPerJob) : this.msPerJob;
  }

  /** @internal How many queued requests to send in the next batch. */
  batchSize(capacity: number, tuning?: AutoBatchTuning): number {
    const { batch = 'auto', timeout } = this.options;
    const queued = this.queued;
    // A timeout is per request: a batch would make one slow request time out its batch-mates.
    if (timeout !== undefined) return 1;
    if (batch !== 'auto') return Math.min(batch, queued);
    const ms = this.sizingMs(tuning);
    if (ms === undefined || ms >= (tuning?.maxJobMs ?? AUTO_BATCH_MAX_JOB_MS) || queued <= 1) return 1;
    const fair = Math.ceil(queued / Math.max(1, Math.min(capacity, tuning?.spread ?? capacity)));
    const byTime = ms <= 0 ? AUTO_BATCH_MAX : Math.floor((tuning?.targetMs ?? AUTO_BATCH_TARGET_MS) / ms);
    return Math.max(1, Math.min(fair, byTime, AUTO_BATCH_MAX));
  }
}

/**
 * Hands an outcome to its lane. A lane's consumer that throws (a
 * subscriber's `next` under RxJS's synchronous error handling, say) must not
 * cost the requests after it their outcomes: the error goes to RxJS's
 * `config.onUnhandledError`, else is rethrown asynchronously, as RxJS
 * reports an unhandled error.
 */
function deliverSafely(lane: Lane, outcome: Outcome<readonly unknown[]>, tag: number): void {
  try {
    lane.deliver(outcome, tag);
  } catch (error) {
    const report = config.onUnhandledError;
    if (report) report(error);
    else
      setTimeout(() => {
        throw error;
      });
  }
}

/** Why a request cannot be queued (it came from plain JavaScript with the wrong shape), if it cannot. */
function requestProblem(request: WorkRequest<readonly unknown[]>, task: unknown): InvalidOptionError | undefined {
  if (!Array.isArray(request.args))
    return new InvalidOptionError(
      'request.args',
      request.args,
      `an array of the task's arguments (request ${textOf(request.id)}): make requests with workRequest() or makeRequests()`,
    );
  if (typeof task !== 'string' || task === '') return new InvalidOptionError('task', task, `a task name (request ${textOf(request.id)})`);
  return undefined;
}

/** Queues requests and hands them to the executor's idle slots. */
export class Scheduler {
  readonly counts: SchedulerCounts = { queued: 0, running: 0, completed: 0, failed: 0 };
  private ring: Lane[] = [];
  private next = 0;
  private pumping = false;
  private again = false;
  private failure: FailureError | undefined;

  constructor(
    readonly executor: Executor,
    /** Called after every change of the counts (cheap; the pool decides whether to publish). */
    private readonly changed: () => void,
  ) {
    executor.attach({
      wake: () => {
        this.changed();
        this.pump();
      },
      fail: (error) => this.fail(error),
    });
  }

  /** Open lanes with a non-zero priority (when none, dispatch is plain round-robin). */
  prioritized = 0;
  /** Open lanes. */
  readonly lanes = new Set<Lane>();
  /** Whether wait and run times are recorded (while someone watches `stats$`). */
  timing = false;
  /** When recording last started (ms, `performance.now()`). */
  timingSince = 0;
  readonly timings = new Timings();
  readonly busyTime = new BusyTime();

  /** Starts or stops recording timings. */
  setTiming(on: boolean): void {
    if (on === this.timing) return;
    this.timing = on;
    if (on) this.timingSince = performance.now();
    else this.busyTime.clear();
  }

  /** Opens a lane for one subscriber. */
  openLane(task: string, deliver: Deliver, options: LaneOptions = {}): Lane {
    const lane = new Lane(this, task, deliver, options);
    if (lane.priority !== 0) this.prioritized++;
    this.lanes.add(lane);
    return lane;
  }

  /** @internal */
  submit(lane: Lane, request: WorkRequest<readonly unknown[]>, tag: number, task: string, transfer: readonly Transferable[] | undefined): void {
    if (lane.closed) return;
    const refusal = this.failure ?? requestProblem(request, task);
    if (refusal) {
      this.refuse(lane, request, tag, refusal);
      return;
    }
    const entry = new Entry(task, request, tag, transfer && transfer.length > 0 ? transfer : undefined);
    if (this.timing) entry.queuedAt = performance.now();
    lane.queue.push(entry);
    this.counts.queued++;
    if (!lane.ringed) {
      lane.ringed = true;
      this.ring.push(lane);
    }
    this.changed();
    this.pump();
  }

  /** @internal */
  closeLane(lane: Lane): void {
    if (lane.closed) return;
    lane.closed = true;
    this.lanes.delete(lane);
    if (lane.priority !== 0) this.prioritized--;
    const dropped = lane.queued;
    lane.queue.length = 0;
    lane.head = 0;
    this.counts.queued -= dropped;
    this.unring(lane);
    if (dropped > 0) this.changed();
    if (lane.options.cancel === 'terminate') for (const slot of [...lane.slots]) slot.cancel();
    else for (const slot of [...lane.slots]) slot.abandon?.();
  }

  /** @internal */
  dropOldest(lane: Lane, errorFor: (request: WorkRequest<readonly unknown[]>) => FailureError): boolean {
    if (lane.queued === 0) return false;
    const entry = lane.queue[lane.head++];
    if (lane.head === lane.queue.length) {
      lane.queue.length = 0;
      lane.head = 0;
      this.unring(lane);
    }
    this.counts.queued--;
    this.counts.failed++;
    lane.failed++;
    this.changed();
    deliverSafely(lane, { ok: false, request: entry.request, error: errorFor(entry.request) }, entry.tag);
    return true;
  }

  /** @internal */
  refuse(lane: Lane, request: WorkRequest<readonly unknown[]>, tag: number, error: FailureError): void {
    this.counts.failed++;
    lane.failed++;
    this.changed();
    if (!lane.closed) deliverSafely(lane, { ok: false, request, error }, tag);
  }

  /** Ends every queued request, and every later one, with `error`. */
  fail(error: FailureError): void {
    if (this.failure) return;
    this.failure = error;
    for (const lane of this.ring.splice(0)) {
      lane.ringed = false;
      while (lane.head < lane.queue.length) {
        const entry = lane.queue[lane.head++];
        this.counts.queued--;
        this.counts.failed++;
        lane.failed++;
        if (!lane.closed) deliverSafely(lane, { ok: false, request: entry.request, error }, entry.tag);
      }
      lane.queue.length = 0;
      lane.head = 0;
    }
    this.changed();
  }

  private unring(lane: Lane): void {
    if (!lane.ringed) return;
    lane.ringed = false;
    const at = this.ring.indexOf(lane);
    this.ring.splice(at, 1);
    if (at < this.next) this.next--;
  }

  private shouldRerun(lane: Lane, entry: Entry, error: FailureError): boolean {
    return (
      !entry.suspect &&
      !lane.closed &&
      !this.failure &&
      lane.options.rerunOnCrash !== false &&
      error.code === 'ERR_WORKER_CRASHED' &&
      !anyDetached(entry.transfer)
    );
  }

  /**
   * The next lane that may start a batch (see `Lane.mayStart`), `undefined` when none may:
   * round-robin among the lanes of the highest priority that has work.
   */
  private nextLane(waiting: ReadonlySet<Lane> | undefined): Lane | undefined {
    const count = this.ring.length;
    const tuning = this.executor.autoBatch;
    let best: Lane | undefined;
    let bestAt = 0;
    for (let i = 0; i < count; i++) {
      if (this.next >= count) this.next = 0;
      const lane = this.ring[this.next];
      if (waiting?.has(lane)) {
        // Its rerun waits for a worker of its own: the others go on meanwhile.
      } else if (this.prioritized === 0) {
        if (lane.mayStart(tuning)) return lane;
      } else if ((!best || lane.priority > best.priority) && lane.mayStart(tuning)) {
        best = lane;
        bestAt = this.next;
      }
      this.next++;
    }
    if (best) this.next = bestAt;
    return best;
  }

  /** Hands queued requests to idle slots until one or the other runs out. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        /** Lanes whose next request, a rerun, waits for a worker running nothing else. */
        let waitingAlone: Set<Lane> | undefined;
        while (this.ring.length > 0) {
          const lane = this.nextLane(waitingAlone);
          if (!lane) break;
          // A rerun after a crash runs alone on its worker: only its own fault can end it a second time.
          // While no worker is free of other work (tasksPerWorker > 1), the executor sets one aside to
          // empty for it, and the other lanes go on.
          const alone = lane.queue[lane.head].suspect;
          const slot = this.executor.acquire(alone);
          if (!slot) {
            if (!alone) break;
            (waitingAlone ??= new Set()).add(lane);
            this.next++;
            continue;
          }
          const entries = lane.take(lane.batchSize(this.executor.capacity, this.executor.autoBatch));
          const size = entries.length;
          if (lane.head === lane.queue.length) {
            lane.queue.length = 0;
            lane.head = 0;
            this.unring(lane);
          } else {
            this.next++;
            // Drop the consumed prefix now and then, so a long-lived lane's array does not grow for ever.
            if (lane.head >= 1024 && lane.head * 2 >= lane.queue.length) {
              lane.queue.splice(0, lane.head);
              lane.head = 0;
            }
          }
          this.counts.queued -= size;
          this.counts.running += size;
          lane.running += size;
          this.changed();
          lane.slots.add(slot);
          if (this.timing) this.recordStart(lane, entries);
          slot.run(
            entries,
            (outcomes, elapsedMs, workMs) => {
              lane.slots.delete(slot);
              this.settle(lane, entries, outcomes, elapsedMs, workMs);
            },
            lane.runOptions(entries),
          );
          lane.options.dequeued?.();
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private recordStart(lane: Lane, entries: readonly Entry[]): void {
    const now = performance.now();
    const laneTimings = (lane.timings ??= new Timings());
    for (let i = 0; i < entries.length; i++) {
      const queuedAt = entries[i].queuedAt;
      if (queuedAt === 0) continue;
      this.timings.wait.push(now - queuedAt);
      laneTimings.wait.push(now - queuedAt);
    }
    this.busyTime.started(entries, now);
  }

  private recordEnd(lane: Lane, entries: readonly Entry[], perJob: number): void {
    this.timings.run.push(perJob, entries.length);
    (lane.timings ??= new Timings()).run.push(perJob, entries.length);
    this.busyTime.ended(entries, performance.now());
  }

  private settle(lane: Lane, entries: readonly Entry[], outcomes: BatchOutcomes, elapsedMs: number, workMs?: number): void {
    const { values } = outcomes;
    let { errors } = outcomes;
    const perJob = elapsedMs / entries.length;
    if (this.timing) this.recordEnd(lane, entries, perJob);
    lane.msPerJob = smoothed(lane.msPerJob, perJob);
    if (workMs !== undefined) lane.workMsPerJob = smoothed(lane.workMsPerJob, workMs / entries.length);
    this.counts.running -= entries.length;
    let rerun: Entry[] | undefined;
    let failed = 0;
    if (errors) {
      for (let i = 0; i < entries.length; i++) {
        const error = errors[i];
        if (!error) continue;
        if (this.shouldRerun(lane, entries[i], error)) {
          (rerun ??= []).push(entries[i]);
          continue;
        }
        failed++;
        if (error.code === 'ERR_WORKER_CRASHED' && anyDetached(entries[i].transfer)) {
          // Its buffers moved into the worker that died: there is nothing left to run it again with.
          const copy = (errors = [...errors]);
          copy[i] = new WorkerCrashedError(
            error.requestId,
            `${error.reason}; it was not run again, because the buffers it transferred went with the worker`,
            error.cause,
            error.worker,
          );
        }
      }
    }
    this.counts.failed += failed;
    const completed = entries.length - failed - (rerun?.length ?? 0);
    this.counts.completed += completed;
    lane.failed += failed;
    lane.completed += completed;
    if (rerun) {
      for (const entry of rerun) entry.suspect = true;
      lane.running -= rerun.length;
      lane.requeue(rerun);
      this.counts.queued += rerun.length;
      if (!lane.ringed) {
        lane.ringed = true;
        this.ring.push(lane);
      }
    }
    this.changed();
    // One at a time: a lane is settled (pending 0) only once its last outcome is out.
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const error = errors?.[i];
      if (error && rerun?.includes(entry)) continue;
      lane.running--;
      if (lane.closed) continue;
      deliverSafely(lane, error ? { ok: false, request: entry.request, error } : { ok: true, request: entry.request, value: values[i] }, entry.tag);
    }
    this.pump();
  }
}
