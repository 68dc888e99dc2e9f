/**
 * The one dispatch path: every request, from `poolMap`, `ThreadPool` or
 * `pool.run`, waits in its pipeline's queue until the executor has an idle
 * slot. The loop here takes turns between pipelines (see `rotation.ts`),
 * sizes each batch (`batchSizing.ts`), starts it on the executor and
 * settles its outcomes: a request whose worker died under it runs once
 * more, alone (culprit-only blame), the others are delivered.
 *
 * @module
 */
import { type FailureError, type QueueFullError, WorkerCrashedError } from '../errors.js';
import type { PoolEvent, WorkerEvent } from '../events.js';
import type { BatchOutcomes, Executor, ExecutorHost, RunningBatch, SlotId } from '../executor.js';
import { BusyTime, smoothed, Timings } from '../timing.js';
import { anyDetached } from '../transferChecks.js';
import { batchSize, withinSpread } from './batchSizing.js';
import { type JobQueue, QueueCount, type QueuedJob } from './jobQueue.js';
import { KeyedQueue, type KeyedTake } from './keyedQueue.js';
import { KeyPlacement } from './keyPlacement.js';
import type { PriorityJobQueue } from './priorityQueue.js';
import { type Deliver, Pipeline, type PipelineHost, type PipelineOptions } from './pipeline.js';
import { Rotation } from './rotation.js';
import { Tally } from './tally.js';

/** The least and most workers of a pool (`size: { min, max }`; a number `n` is `{ min: n, max: n }`). */
export interface SizeRange {
  readonly min: number;
  readonly max: number;
}

/** What one try to start a pipeline's batch came to. */
type DispatchResult = typeof STARTED | typeof WAITS_FOR_SLOT | typeof NO_SLOT;
/** A batch started. */
const STARTED = 0;
/** Nothing started because this pipeline waits for a particular slot (a rerun's, its keys'): others may go on. */
const WAITS_FOR_SLOT = 1;
/** No slot took the batch: the loop waits for a wake or a done. */
const NO_SLOT = 2;

/** Queues requests and hands them to the executor's idle slots. */
export class Scheduler implements ExecutorHost, PipelineHost {
  /** Requests running and ended, over every pipeline (each pipeline's tally rolls up here). */
  readonly tally = new Tally();
  /** Open pipelines. */
  readonly pipelines = new Set<Pipeline>();
  /** The pipelines with queued requests, taking turns. */
  private readonly rotation = new Rotation<Pipeline>(() => this.starts);
  /** Requests started in the pool's life (reruns again): the clock of priority aging. */
  starts = 0;
  /** Set by {@link Scheduler.fail}: every queued request ended with it, and nothing is rerun. */
  failure: FailureError | undefined;
  /** Set once the pool takes no new request (it drains, or is closed): every later request ends with it. */
  refusal: FailureError | undefined;
  /** Called once no request is pending any more, after {@link Scheduler.drain}. */
  private whenDrained: (() => void) | undefined;
  private pumping = false;
  /** Something changed while the loop ran: it goes round once more. */
  private pumpAgain = false;
  /**
   * The executor took no batch at the last try with every slot busy, and
   * has not woken the scheduler (`wake`) nor finished a batch (`done`)
   * since: by the seam's contract nothing is idle, so the loop does not take
   * a batch out of a queue only to put it back (once per request while every
   * worker is busy).
   */
  private executorFull = false;
  /** Where keys run, when the executor places keyed work on slots. */
  readonly keys: KeyPlacement | undefined;
  /** Requests queued over every pipeline: each queue keeps it as requests enter and leave. */
  readonly queueCount = new QueueCount();
  /** Pipelines whose pulled sources wait for room in the pool's queue (`maxQueue`). */
  private readonly roomWaiters = new Set<Pipeline>();
  /**
   * The least and most workers the pool runs: while requests wait and every
   * worker is busy, the loop starts workers (`createWorkers(1)`) up to
   * `max`; a worker idle past the executor's idle timeout exits only above
   * `min`. `undefined`: the executor's capacity is not the pool's to size
   * (a queue's hosts).
   */
  range: SizeRange | undefined;
  /** The executor's slots changed since the loop last looked at the keys' placement. */
  private slotsMoved = false;
  /** Holds the process while requests wait for an executor with no slot (see `Executor.holdWhileQueued`). */
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  /** Whether wait and run times are recorded (while someone watches `stats$`). */
  timing = false;
  /** When recording last started (ms, `performance.now()`). */
  timingSince = 0;
  readonly timings = new Timings();
  readonly busyTime = new BusyTime();

  constructor(
    readonly executor: Executor,
    /** Called after every change of the counts (cheap; the pool decides whether to publish). */
    private readonly onChange: () => void,
    /** The most requests queued over every pipeline (`maxQueue`); a request past it ends with `QueueFullError`. */
    readonly maxQueue: number | undefined = undefined,
    /** Where events go while someone listens (`pool.events$`); `undefined` while nobody does, so none is made. */
    private readonly events: () => ((event: PoolEvent) => void) | undefined = () => undefined,
  ) {
    const { placement } = executor;
    this.keys = placement && new KeyPlacement(placement, (slot, groups) => this.released(slot, groups));
  }

  /** Requests queued, over every open pipeline. */
  get queued(): number {
    return this.queueCount.queued;
  }

  /** Requests queued or running, over every pipeline. */
  get pending(): number {
    return this.queueCount.queued + this.tally.running;
  }

  /** @internal {@link PipelineHost.waitForRoom}. */
  waitForRoom(pipeline: Pipeline): void {
    this.roomWaiters.add(pipeline);
  }

  /** Requests left the queues: the pulled sources that waited for room in the pool's queue are pulled again. */
  private roomMade(): void {
    if (this.roomWaiters.size === 0 || this.queueCount.queued >= (this.maxQueue ?? Infinity)) return;
    const waiters = [...this.roomWaiters];
    this.roomWaiters.clear();
    for (const pipeline of waiters) if (!pipeline.closed) pipeline.options.dequeued?.();
  }

  /** Starts or stops recording timings. */
  setTiming(on: boolean): void {
    if (on === this.timing) return;
    this.timing = on;
    if (on) this.timingSince = performance.now();
    else this.busyTime.clear();
  }

  /** Opens a pipeline for one subscriber. */
  openPipeline(task: string, deliver: Deliver, options: PipelineOptions = {}): Pipeline {
    const pipeline = new Pipeline(this, this.tally, task, deliver, options);
    this.pipelines.add(pipeline);
    return pipeline;
  }

  /** @internal {@link ExecutorHost.wake}: capacity grew or a slot became idle. */
  wake(): void {
    this.executorFull = false;
    this.changed();
    this.pump();
  }

  /** @internal {@link ExecutorHost.mayRetire}: only above the least size. */
  mayRetire(): boolean {
    return this.range === undefined || this.executor.capacity > this.range.min;
  }

  /**
   * A start was refused: while requests wait that the workers starting will
   * not take, and every live worker is busy, one more worker starts (up to
   * `range.max`). Runs only on a refusal, never per request.
   */
  private grow(): void {
    const { range, executor } = this;
    if (!range || this.failure || executor.capacity >= range.max) return;
    const { starting } = executor;
    if (starting >= this.queued || executor.busy + starting < executor.capacity) return;
    // A start that fails fails the pool (every request learns why); one cut short by close() needs no answer.
    executor.createWorkers(1).catch(() => undefined);
  }

  /** @internal {@link ExecutorHost.workerEvent}. */
  workerEvent(event: WorkerEvent): void {
    this.events()?.(event);
  }

  /** @internal {@link PipelineHost.queueFull}. */
  queueFull(pipeline: Pipeline, error: QueueFullError): void {
    const emit = this.events();
    if (!emit || error.requestId === undefined || error.reason === 'timeout') return;
    emit({
      type: 'queueFull',
      queue: error.queue,
      pipeline: pipeline.options.name ?? pipeline.task,
      size: error.size,
      requestId: error.requestId,
      reason: error.reason,
    });
  }

  /** @internal {@link ExecutorHost.slotsChanged}. */
  slotsChanged(): void {
    this.slotsMoved = true;
    this.wake();
  }

  /** @internal {@link ExecutorHost.slotEnded}: the keys placed on `slot` wait for a live one. */
  slotEnded(slot: SlotId): void {
    for (const pipeline of this.pipelines) pipeline.options.slotEnded?.(slot);
    if (!this.keys) return;
    this.keys.slotEnded(slot);
    for (const pipeline of this.pipelines) if (pipeline.queue instanceof KeyedQueue) pipeline.queue.slotEnded(slot);
    this.slotsMoved = true;
  }

  /** Groups that left `slot` were released there: their keys may run elsewhere. */
  private released(slot: SlotId, groups: readonly number[]): void {
    for (const pipeline of this.pipelines) if (pipeline.queue instanceof KeyedQueue) pipeline.queue.regroup(slot, groups);
    this.pump();
  }

  /** @internal */
  changed(): void {
    if (this.keepAlive !== undefined) this.holdProcess();
    this.onChange();
  }

  /** @internal A pipeline takes turns exactly while its queue has requests. */
  queueChanged(pipeline: Pipeline): void {
    if (pipeline.queue.length > 0 && !pipeline.closed) this.rotation.add(pipeline);
    else this.rotation.remove(pipeline);
    this.changed();
    this.pump();
  }

  /** @internal */
  closed(pipeline: Pipeline): void {
    this.pipelines.delete(pipeline);
    this.rotation.remove(pipeline);
    this.roomWaiters.delete(pipeline);
    this.roomMade();
    this.checkDrained();
  }

  /**
   * Takes no new request (each ends with `error`) while the queued and
   * running ones go on (reruns after a crash too); calls `drained` once no
   * request of any pipeline is pending (at once, if none is).
   */
  drain(error: FailureError, drained: () => void): void {
    this.refusal ??= error;
    this.whenDrained = drained;
    this.checkDrained();
  }

  private checkDrained(): void {
    const drained = this.whenDrained;
    if (!drained) return;
    for (const pipeline of this.pipelines) if (pipeline.pending > 0) return;
    this.whenDrained = undefined;
    drained();
  }

  /** Ends every queued request, and every later one, with `error`. */
  fail(error: FailureError): void {
    if (this.failure) return;
    this.failure = error;
    this.refusal ??= error;
    this.whenDrained = undefined;
    this.endQueued(() => error);
  }

  /** Ends every request queued now, each with its error; later ones queue as usual. Returns how many. */
  endQueued(errorFor: (request: QueuedJob['request']) => FailureError): number {
    let ended = 0;
    for (const pipeline of this.rotation.clear()) {
      const jobs = pipeline.queue.drain();
      ended += jobs.length;
      // Out of the queue but not yet delivered: the pipeline stays pending until its last outcome is out.
      pipeline.tally.refused(jobs.length);
      pipeline.undelivered += jobs.length;
      for (const job of jobs) {
        pipeline.undelivered--;
        if (!pipeline.closed) pipeline.deliver({ ok: false, request: job.request, error: errorFor(job.request) }, job.ticket);
      }
    }
    this.changed();
    this.roomMade();
    this.checkDrained();
    return ended;
  }

  /** Hands queued requests to idle slots until one or the other runs out. */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.dispatch();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    // The loop runs after every settled batch (its outcomes delivered): the moment a drain may end.
    this.checkDrained();
  }

  private dispatch(): void {
    const { executor, rotation } = this;
    if (this.slotsMoved) {
      this.slotsMoved = false;
      this.keys?.rebalance();
    }
    const tuning = executor.autoBatch;
    const mayStart = (pipeline: Pipeline): boolean => pipeline.gateOpen() && withinSpread(pipeline, tuning);
    /** Pipelines that cannot start anything now: a rerun waiting for a worker running nothing else, keys whose slots are busy. */
    let stalled: Set<Pipeline> | undefined;
    while (rotation.size > 0 && !this.executorFull) {
      const pipeline = rotation.next(mayStart, stalled);
      if (!pipeline) return;
      const { queue } = pipeline;
      const size = batchSize(pipeline, executor.capacity, tuning);
      const result = queue instanceof KeyedQueue ? this.dispatchKeyed(pipeline, queue, size) : this.dispatchLine(pipeline, queue, size);
      if (result !== STARTED) {
        this.grow();
        if (executor.capacity === 0) this.holdProcess();
        // Every slot busy: wait for a wake or a done. Slots still starting (or without a thread, which a
        // refused start wakes) are asked again at the next request, as they come up.
        if (executor.busy >= executor.capacity) this.executorFull = true;
        if (this.executorFull || result === NO_SLOT) return;
        // This pipeline waits for a particular slot (a rerun's, its keys'): the others go on.
        (stalled ??= new Set()).add(pipeline);
        rotation.passed();
        continue;
      }
      if (queue.length === 0) rotation.remove(pipeline);
      else rotation.passed();
      pipeline.options.dequeued?.();
      this.roomMade();
    }
  }

  /** Starts the next batch of an unkeyed pipeline. */
  private dispatchLine(pipeline: Pipeline, queue: JobQueue | PriorityJobQueue, size: number): DispatchResult {
    // A rerun after a crash runs alone on its worker: only its own fault can end it a second time.
    // While no worker is free of other work (tasksPerWorker > 1), the executor sets one aside to
    // empty for it, and the other pipelines go on.
    const alone = queue.nextIsRerun();
    const jobs = queue.take(size);
    if (this.start(pipeline, jobs, alone, undefined, undefined)) return STARTED;
    queue.putBack(jobs);
    return alone ? WAITS_FOR_SLOT : NO_SLOT;
  }

  /**
   * Starts the next batch of a keyed pipeline, on a slot that owns some of
   * its ready keys and has room (any slot, when the executor places
   * nothing); false when none could start.
   */
  private dispatchKeyed(pipeline: Pipeline, queue: KeyedQueue, size: number): DispatchResult {
    const { placement } = this.executor;
    if (!placement) {
      const taken = queue.take(-1, size);
      if (!taken) return WAITS_FOR_SLOT;
      if (this.start(pipeline, taken.jobs, taken.alone, undefined, taken)) return STARTED;
      queue.ended(taken, taken.jobs);
      return NO_SLOT;
    }
    queue.placeWaiting();
    for (const slot of queue.readySlots()) {
      if (slot < 0) continue;
      // A rerun is offered to its slot even when busy: the executor sets the slot aside to empty for it.
      if (!queue.nextIsRerun(slot) && !placement.hasRoom(slot, false)) continue;
      const taken = queue.take(slot, size);
      if (!taken) continue;
      if (this.start(pipeline, taken.jobs, taken.alone, slot, taken)) return STARTED;
      queue.ended(taken, taken.jobs);
    }
    return WAITS_FOR_SLOT;
  }

  /** Starts `jobs` on the executor (on `slot` when given); false (nothing changed) when no slot took them. */
  private start(pipeline: Pipeline, jobs: QueuedJob[], alone: boolean, slot: SlotId | undefined, keyed: KeyedTake | undefined): boolean {
    const startedAt = this.timing ? performance.now() : 0;
    pipeline.tally.started(jobs.length);
    this.starts += jobs.length;
    let run: RunningBatch | undefined;
    let ended = false;
    const { keys } = this;
    // The groups of the batch's keys are in flight until it ends (a group moves only when none is).
    if (keyed && keys) for (const line of keyed.lines) keys.started(line.group);
    // Told before the executor runs anything of it (a virtual slot runs it at once, and its outputs may follow at once;
    // a batch none of which could be sent ends inside `start`).
    pipeline.options.started?.(jobs, slot);
    if (startedAt !== 0) this.busyTime.started(jobs, startedAt);
    run = this.executor.start(
      {
        jobs,
        limits: pipeline.limitsFor(jobs),
        alone,
        ...(slot === undefined ? {} : { slot }),
        ...(pipeline.options.stream ? { stream: pipeline.options.stream } : {}),
      },
      (outcomes, elapsedMs, workMs, copiedBytes) => {
        ended = true;
        this.executorFull = false;
        if (run) pipeline.runs.delete(run);
        if (keyed && keys) for (const line of keyed.lines) keys.ended(line.group);
        this.settle(pipeline, jobs, outcomes, elapsedMs, workMs, copiedBytes, keyed);
      },
    );
    if (!run) {
      this.busyTime.forget(jobs);
      pipeline.options.unstarted?.(jobs);
      if (keyed && keys) for (const line of keyed.lines) keys.ended(line.group);
      pipeline.tally.started(-jobs.length);
      this.starts -= jobs.length;
      return false;
    }
    if (!ended) pipeline.runs.set(run, jobs);
    if (startedAt !== 0) this.recordStart(pipeline, jobs, startedAt);
    this.changed();
    return true;
  }

  /** The waits of a batch that started (its busy time is counted from before the executor took it). */
  private recordStart(pipeline: Pipeline, jobs: readonly QueuedJob[], now: number): void {
    const timings = (pipeline.timings ??= new Timings());
    for (let i = 0; i < jobs.length; i++) {
      const queuedAt = jobs[i].queuedAt;
      if (queuedAt === 0) continue;
      this.timings.wait.push(now - queuedAt);
      timings.wait.push(now - queuedAt);
    }
  }

  private recordEnd(pipeline: Pipeline, jobs: readonly QueuedJob[], perJob: number): void {
    this.timings.run.push(perJob, jobs.length);
    (pipeline.timings ??= new Timings()).run.push(perJob, jobs.length);
    this.busyTime.ended(jobs, performance.now());
  }

  /** Whether a request that failed with `error` runs once more, alone. */
  private rerunsAfter(pipeline: Pipeline, job: QueuedJob, error: FailureError): boolean {
    return (
      !job.rerun &&
      !pipeline.closed &&
      !this.failure &&
      pipeline.options.rerunOnCrash !== false &&
      error.code === 'ERR_WORKER_CRASHED' &&
      !anyDetached(job.transfer)
    );
  }

  private settle(
    pipeline: Pipeline,
    jobs: readonly QueuedJob[],
    outcomes: BatchOutcomes,
    elapsedMs: number,
    workMs: number | undefined,
    copiedBytes: number | undefined,
    keyed: KeyedTake | undefined,
  ): void {
    const { values } = outcomes;
    let { errors } = outcomes;
    const perJob = elapsedMs / jobs.length;
    if (this.timing) this.recordEnd(pipeline, jobs, perJob);
    pipeline.msPerJob = smoothed(pipeline.msPerJob, perJob);
    if (workMs !== undefined) pipeline.workMsPerJob = smoothed(pipeline.workMsPerJob, workMs / jobs.length);
    if (copiedBytes !== undefined) pipeline.bytesPerJob = smoothed(pipeline.bytesPerJob, copiedBytes / jobs.length);
    let rerun: QueuedJob[] | undefined;
    let failed = 0;
    if (errors) {
      for (let i = 0; i < jobs.length; i++) {
        const error = errors[i];
        if (!error) continue;
        if (this.rerunsAfter(pipeline, jobs[i], error)) {
          (rerun ??= []).push(jobs[i]);
          continue;
        }
        failed++;
        if (error.code === 'ERR_WORKER_CRASHED' && anyDetached(jobs[i].transfer)) {
          // Its buffers moved into the worker that died: there is nothing left to run it again with.
          const copy = (errors = [...errors]);
          const reason = `${error.reason}; it was not run again, because the buffers it transferred went with the worker`;
          copy[i] = new WorkerCrashedError(error.requestId, reason, error.cause, error.worker);
        }
      }
    }
    const requeued = rerun?.length ?? 0;
    pipeline.tally.ended(jobs.length - failed - requeued, failed, requeued);
    pipeline.undelivered += jobs.length - requeued;
    if (rerun) for (const job of rerun) job.rerun = true;
    const { queue } = pipeline;
    // A keyed batch's keys run no more (its reruns go back to the front of their keys' lines, so no later
    // request of a key runs before them).
    if (queue instanceof KeyedQueue) {
      if (!pipeline.closed) queue.ended(keyed!, rerun);
    } else if (rerun) {
      queue.putBack(rerun);
    }
    if (rerun) this.rotation.add(pipeline);
    else if (queue instanceof KeyedQueue && queue.length > 0 && !pipeline.closed) this.rotation.add(pipeline);
    this.changed();
    // One at a time: a pipeline is settled (pending 0) only once its last outcome is out.
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i];
      const error = errors?.[i];
      if (error && rerun?.includes(job)) continue;
      pipeline.undelivered--;
      if (pipeline.closed) continue;
      pipeline.deliver(error ? { ok: false, request: job.request, error } : { ok: true, request: job.request, value: values[i] }, job.ticket);
    }
    this.pump();
  }

  /**
   * While requests wait on an executor with no slot at all, a timer keeps the
   * process alive (see `Executor.holdWhileQueued`). Taken when a start is
   * refused with no slot; while held, every change checks whether to let
   * go, so nothing of it runs per request otherwise.
   */
  private holdProcess(): void {
    const hold = this.executor.holdWhileQueued === true && this.executor.capacity === 0 && !this.failure && this.queued > 0;
    if (hold === (this.keepAlive !== undefined)) return;
    if (hold) {
      this.keepAlive = setInterval(() => undefined, 2 ** 30);
    } else {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }
}
