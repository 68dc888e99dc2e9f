/**
 * The worker executor: runs batches on workers of a runtime (threads or
 * child processes, `runtime.ts`); a worker runs up to `tasksPerWorker`
 * batches at once (default 1), and each batch goes to the least-loaded
 * worker.
 *
 * This file decides: which worker takes a batch, when a worker is
 * replaced (it died, timed out, was cancelled, ran its `maxTasksPerWorker`
 * or outgrew `maxHeapPerWorker`), retired (dismissed, idle too long) or
 * started, and what happens to its batches then. Starting a thread is
 * `workerStart`'s, a batch's trip to it and back `batchWire`'s, a worker's
 * state `WorkerHandle`'s.
 *
 * A request never waits on a dead worker: one that dies mid-request is
 * replaced and its requests end with `WorkerCrashedError`. A worker that
 * cannot start fails the pool at once with `WorkerStartError`.
 *
 * @module
 */
import type { WorkerEvent, WorkerExitReason } from '../events.js';
import type { WorkerLoad } from '../poolStats.js';
import {
  type FailureError,
  InvalidOptionError,
  PoolClosedError,
  TaskCancelledError,
  TaskTimeoutError,
  WorkerCrashedError,
  type WorkerStartError,
} from '../errors.js';
import {
  type AutoBatchTuning,
  type BatchStart,
  DEFAULT_CANCEL_GRACE,
  type Done,
  type Executor,
  type ExecutorHost,
  type Job,
  type RunningBatch,
  type SlotId,
  type SlotPlacement,
} from '../executor.js';
import { AUTO_BATCH_MAX_JOB_MS, AUTO_BATCH_TARGET_MS } from '../scheduler/batchSizing.js';
import { PART_BYTES } from './copyBytes.js';
import { Batch, type Reply } from './batchWire.js';
import {
  type AbortReason,
  CANCELLABLE,
  type CancellableMessage,
  DONE,
  type DoneMessage,
  PROGRESS,
  type ProgressMessage,
  RELEASED,
  STREAM_ENDED,
  STREAM_OUTPUT,
  TORN_DOWN,
  type TornDownMessage,
  type StreamEndedMessage,
  type StreamOutputMessage,
} from '../messages.js';
import type { WorkerRuntime } from './runtime.js';
import { type Declared, startError, startWorker } from './workerStart.js';
import { WorkerHandle } from './WorkerHandle.js';
import { captureLines } from './outputLines.js';
import { WorkerStreams } from './workerStreams.js';
import { claimWorker, pickWorker } from './workerChoice.js';

/**
 * The most worker threads one pool runs (`size`, and `createWorkers` on top
 * of the live ones): each costs a V8 isolate (10 MB and more), and a pool
 * asked for millions would start threads until the process died.
 */
export const MAX_WORKERS = 1024;

/** Options of {@link WorkerExecutor}. */
export interface WorkerExecutorOptions {
  /** Workers to start at once. */
  readonly size: number;
  /** How long a worker may take to call `exposeTasks()`, in ms. */
  readonly startTimeout: number;
  /** How long an idle worker waits before it asks the host whether it may exit (`ExecutorHost.mayRetire`), in ms. */
  readonly idleTimeout?: number;
  /** How long terminating a worker may take before the pool stops waiting for it (terminate can hang), in ms. */
  readonly terminateTimeout: number;
  /** Replace a worker, between batches, once it has run this many requests. */
  readonly maxTasksPerWorker?: number;
  /** Replace a worker, between batches, once its V8 heap in use exceeds this many bytes. */
  readonly maxHeapPerWorker?: number;
  /** Batches a worker runs at once (for async tasks that wait on I/O). Default 1. */
  readonly tasksPerWorker?: number;
  /** The worker streams whose lines become `workerOutput` events (the source must start its workers with them captured). */
  readonly capture?: { readonly stdout: boolean; readonly stderr: boolean };
}

/** How a worker's end is reported, given its number. */
type WorkerEnd = (worker: number) => WorkerEvent;
const exited =
  (reason: WorkerExitReason): WorkerEnd =>
  (worker) => ({ type: 'workerExited', worker, reason });
const crashed =
  (reason: string, cause: unknown): WorkerEnd =>
  (worker) => ({ type: 'workerCrashed', worker, reason, ...(cause === undefined ? {} : { cause }) });

/**
 * Ends `batch` now with `errorFor(job)` and aborts its signals in its
 * worker, which keeps it until its tasks stop; `graceOver` runs if they
 * have not within the batch's `cancelGrace`.
 */
function askToStop(handle: WorkerHandle, batch: Batch, reason: AbortReason, errorFor: (job: Job) => FailureError, graceOver: () => void): void {
  batch.finishEarly(errorFor);
  handle.wire.abort(batch, reason);
  batch.expireAfter(batch.cancelGrace, graceOver);
}

/** Runs batches on the workers of a runtime. */
export class WorkerExecutor implements Executor {
  private host!: ExecutorHost;
  /**
   * Idle workers do not keep the process alive and busy or starting ones
   * do, so requests keep it alive while a worker runs; with none (all
   * dismissed), the scheduler holds it while requests wait.
   */
  readonly holdWhileQueued = true;
  /** The scheduler's thread-tuned `'auto'` constants; requests that copy large arguments travel one per message, so they are sized by the worker's own time. */
  readonly autoBatch: AutoBatchTuning = { maxJobMs: AUTO_BATCH_MAX_JOB_MS, targetMs: AUTO_BATCH_TARGET_MS, largeRequestBytes: PART_BYTES };
  /** Every slot not gone, by slot id, in the order they were added: what the pool counts is read from their states. */
  private readonly workers = new Map<SlotId, WorkerHandle>();
  /**
   * Keyed work is placed on workers: a slot is one worker thread's life (a
   * replacement is a new slot). Slots that take keys: every one but those
   * leaving (recycling, retiring).
   */
  readonly placement: SlotPlacement = {
    slots: () => {
      const slots: SlotId[] = [];
      for (const handle of this.workers.values()) if (handle.counted && handle.state !== 'recycling') slots.push(handle.slot);
      return slots;
    },
    hasRoom: (slot, alone) => {
      const handle = this.workers.get(slot);
      if (!handle) return false;
      return alone && this.perWorker > 1 ? handle.hasRoomAlone : handle.hasRoom;
    },
    release: (slot, groups, released) => {
      const handle = this.workers.get(slot);
      if (handle) handle.releaseKeys(groups, released);
      else released();
    },
  };
  private readonly perWorker: number;
  /**
   * The exits of workers that left the pool (recycled, retired, dismissed,
   * replaced) and have not exited yet, each running its teardown or being
   * terminated: `close()` waits for them too.
   */
  private readonly leaving = new Set<Promise<void>>();
  private closed = false;
  private failure: WorkerStartError | undefined;
  /** The last number given to a worker of this pool. */
  private lastWorkerNumber = 0;
  private names: readonly string[] | undefined;
  ready!: Promise<void>;
  /** Stream tasks run in the workers: their outputs and ends come on the workers' ports. */
  readonly streams = new WorkerStreams((slot) => this.workers.get(slot)?.worker);

  constructor(
    private readonly runtime: WorkerRuntime,
    private readonly options: WorkerExecutorOptions,
  ) {
    this.perWorker = options.tasksPerWorker ?? 1;
  }

  attach(host: ExecutorHost): void {
    this.host = host;
    this.ready = this.createWorkers(this.options.size);
  }

  get capacity(): number {
    let count = 0;
    for (const handle of this.workers.values()) if (handle.counted) count++;
    return count;
  }

  get starting(): number {
    let count = 0;
    for (const handle of this.workers.values()) if (handle.state === 'starting') count++;
    return count;
  }

  workerLoads(): WorkerLoad[] {
    const loads: WorkerLoad[] = [];
    for (const handle of this.workers.values()) {
      if (!handle.up) continue;
      const load = handle.worker?.eventLoop?.();
      if (load) loads.push({ worker: handle.number, ...load });
    }
    return loads;
  }

  get busy(): number {
    let count = 0;
    for (const handle of this.workers.values()) if (handle.load > 0) count++;
    return count;
  }

  get tasks(): readonly string[] | undefined {
    return this.names;
  }

  start({ jobs, limits, alone, slot, stream }: BatchStart, done: Done): RunningBatch | undefined {
    const placed = slot === undefined ? undefined : this.workers.get(slot);
    const handle = slot === undefined ? pickWorker(this.workers.values(), alone, this.perWorker) : placed && claimWorker(placed, alone, this.perWorker);
    // No worker takes it now: the scheduler may grow the pool (createWorkers), or waits for a wake or a done.
    if (!handle) return undefined;
    const batch = new Batch(jobs, done, limits?.progress, alone && this.perWorker > 1, stream, limits?.cancelGrace ?? DEFAULT_CANCEL_GRACE);
    handle.take(batch);
    const timeout = limits?.timeout;
    if (timeout !== undefined)
      batch.expireAfter(timeout, () =>
        this.end(handle, batch, 'timeout', (job, signalled) => new TaskTimeoutError(job.task, job.id, timeout, handle.number, signalled)),
      );
    const running = {
      slot: handle.slot,
      cancel: () => this.end(handle, batch, 'cancel', (job, signalled) => new TaskCancelledError(job.id, handle.number, signalled)),
      abortSignals: (some: readonly Job[]) => {
        if (handle.runs(batch)) handle.wire.abortJobs(batch, some);
      },
    };
    if (handle.wire.send(batch)) this.finishBatch(handle, batch);
    return running;
  }

  createWorkers(n: number): Promise<void> {
    const capacity = this.capacity;
    if (capacity + n > MAX_WORKERS)
      throw new InvalidOptionError('createWorkers(n)', n, `at most ${MAX_WORKERS - capacity} more workers (a pool runs at most ${MAX_WORKERS})`);
    if (this.failure) return Promise.reject(this.failure);
    const started: Promise<void>[] = [];
    for (let i = 0; i < n; i++) started.push(this.spawn().started);
    this.host.slotsChanged();
    return Promise.all(started).then(() => undefined);
  }

  /**
   * Dismisses workers in this order: idle ones (the latest idle first),
   * starting ones, then busy ones, which take no new batch and exit once
   * theirs are done.
   */
  dismissWorkers(n: number): { count: number; gone: Promise<void> } {
    const rank = (handle: WorkerHandle): number => (handle.state === 'starting' ? 2 : handle.load === 0 ? 1 : 3);
    const victims = [...this.workers.values()]
      .filter((handle) => handle.counted)
      .sort((a, b) => rank(a) - rank(b) || (rank(a) === 1 ? b.roomSince - a.roomSince : 0))
      .slice(0, Math.max(0, n));
    for (const handle of victims) {
      if (handle.load > 0) handle.retire();
      else this.stopWorker(handle, true, exited('dismissed'));
    }
    this.host.slotsChanged();
    return { count: victims.length, gone: Promise.all(victims.map((handle) => handle.exited)).then(() => undefined) };
  }

  close(): Promise<void> {
    this.streams.clear();
    return this.shutdown((job) => new PoolClosedError(job.id));
  }

  /** Stops every worker; running requests end with `errorFor(job)`. Resolves once every worker, and every one that left before, has exited. */
  private shutdown(errorFor: (job: Job) => FailureError): Promise<void> {
    this.closed = true;
    const exits: Promise<void>[] = [];
    for (const handle of [...this.workers.values()]) {
      // A worker still starting never will: what waits for it (`ready`, `createWorkers`) learns why.
      if (handle.state === 'starting') handle.failStart(this.failure ?? new PoolClosedError());
      exits.push(handle.exited);
      if (this.stopByThemselves(handle, errorFor)) continue;
      for (const batch of this.stopWorker(handle, true, exited('closed'))) batch.finishEarly(errorFor);
    }
    return Promise.all([...exits, ...this.leaving]).then(() => undefined);
  }

  /**
   * Closing: when every batch `handle` runs has a task that reads its
   * signal, they end now with `errorFor(job)`, their signals are aborted,
   * and the worker stops (its teardown run) once they have stopped, or is
   * terminated once their grace is over. Whether it did so.
   */
  private stopByThemselves(handle: WorkerHandle, errorFor: (job: Job) => FailureError): boolean {
    const batches = handle.running;
    if (batches.length === 0 || !batches.every((batch) => batch.stopsByItself)) return false;
    for (const batch of batches)
      askToStop(handle, batch, 'cancel', errorFor, () => {
        if (handle.runs(batch)) this.stopWorker(handle, false, exited('closed'));
      });
    return true;
  }

  /** Starts a worker thread in a new slot. */
  private spawn(): WorkerHandle {
    const slot = this.addSlot();
    const thread = startWorker(this.runtime, this.options.startTimeout, {
      message: (data) => this.onMessage(slot, data),
      died: (reason, cause) => this.onDeath(slot, reason, cause),
      uncaughtError: (error) => this.onUncaughtError(slot, error),
      started: (declared) => this.onStarted(slot, declared),
      startFailed: (cause) => this.startFailed(slot, cause),
    });
    slot.begin(++this.lastWorkerNumber, thread, this.options.maxHeapPerWorker !== undefined);
    const { capture } = this.options;
    if (capture && thread.worker) {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (capture[stream])
          captureLines(thread.worker.output?.[stream], (text) => this.host.workerEvent({ type: 'workerOutput', worker: slot.number, stream, text }));
      }
    }
    return slot;
  }

  /** A new slot, without a thread yet. */
  private addSlot(): WorkerHandle {
    const handle = new WorkerHandle(this.perWorker);
    this.workers.set(handle.slot, handle);
    return handle;
  }

  private onStarted(handle: WorkerHandle, declared: Declared): void {
    if (handle.state !== 'starting') return;
    this.names ??= declared.tasks;
    handle.ready(declared);
    this.host.workerEvent({ type: 'workerStarted', worker: handle.number });
    this.rest(handle);
    this.host.wake();
  }

  /** A worker with nothing to do: it does not keep the process alive, and after `idleTimeout` exits, if the host lets it (the pool is above its least size). */
  private rest(handle: WorkerHandle): void {
    handle.rest(this.options.idleTimeout, () => {
      if (!this.host.mayRetire()) return;
      this.stopWorker(handle, true, exited('idle'));
      this.host.slotsChanged();
    });
  }

  private onMessage(handle: WorkerHandle, data: unknown): void {
    const message = data as { type?: unknown } | null;
    if (typeof message !== 'object' || message === null) return;
    if (message.type === DONE) {
      const reply = handle.wire.receive(message as DoneMessage);
      if (reply) this.onReply(handle, reply);
    } else if (message.type === PROGRESS) {
      handle.wire.receiveProgress(message as ProgressMessage);
    } else if (message.type === CANCELLABLE) {
      handle.wire.receiveCancellable(message as CancellableMessage);
    } else if (message.type === TORN_DOWN) {
      handle.tornDown(message as TornDownMessage);
    } else if (message.type === RELEASED) {
      handle.keysReleased((message as { id?: unknown }).id);
    } else if (message.type === STREAM_OUTPUT || message.type === STREAM_ENDED) {
      this.onStreamMessage(handle, message as StreamOutputMessage | StreamEndedMessage);
    }
  }

  /** What a worker's stream instances emitted, or how one ended: a worker that sent a malformed one can no longer be trusted, and is replaced once its work is done. */
  private onStreamMessage(handle: WorkerHandle, message: StreamOutputMessage | StreamEndedMessage): void {
    if (this.streams.receive(handle.slot, message)) return;
    if (handle.state === 'idle' || handle.state === 'busy' || handle.state === 'reserved') handle.recycle('untrusted');
  }

  /** A part of a batch answered: a worker that sent a malformed reply, or outgrew `maxHeapPerWorker`, is replaced once its work is done. */
  private onReply(handle: WorkerHandle, { batch, complete, untrusted, heapUsed }: Reply): void {
    const { maxHeapPerWorker } = this.options;
    if (untrusted) handle.recycle('untrusted');
    else if (maxHeapPerWorker !== undefined && heapUsed !== undefined && heapUsed > maxHeapPerWorker) handle.recycle('maxHeapPerWorkerMb');
    if (complete) this.finishBatch(handle, batch);
  }

  /** A batch has every outcome: its worker goes on, rests, retires or is replaced, and its outcomes go to the scheduler. */
  private finishBatch(handle: WorkerHandle, batch: Batch): void {
    handle.finish(batch);
    const { maxTasksPerWorker } = this.options;
    if (maxTasksPerWorker !== undefined && handle.requestsRun >= maxTasksPerWorker) handle.recycle('maxTasksPerWorker');
    if (handle.load === 0) {
      if (this.closed) {
        // Closing, it waited for tasks that stop by themselves: now they have, it stops, its teardown run.
        this.stopWorker(handle, true, exited('closed'));
      } else if (handle.state === 'retiring') {
        this.stopWorker(handle, true, exited('dismissed'));
      } else if (handle.state === 'recycling') {
        // Recycled between batches: a fresh worker takes its place, and no request notices.
        const reason = handle.recycleReason ?? 'untrusted';
        this.stopWorker(handle, true, (worker) => ({ type: 'workerRecycled', worker, reason }));
        this.replace();
      } else {
        this.rest(handle);
      }
    }
    if (batch.settled) {
      // Cancelled, and its outcomes given already: its task has stopped, and the worker it kept is free again.
      this.host.wake();
    } else batch.finish();
    if (handle.state === 'reserved' && handle.load === 0) {
      // Set aside for a rerun, and now empty: the scheduler claims it now, or (its lane was closed, say)
      // it goes back to serving everyone.
      this.host.wake();
      if (handle.state === 'reserved' && handle.load === 0) {
        handle.release();
        this.host.wake();
      }
    }
  }

  /** The worker side keeps a worker alive after an uncaught exception or rejection and reports it (a start it fails is `startFailed`). */
  private onUncaughtError(handle: WorkerHandle, error: Error): void {
    if (handle.state === 'gone') return;
    // The worker survived, but its state is suspect, and a request waiting on the failed code may never
    // settle: a running batch ends as if its worker had crashed (so its requests are rerun once, alone,
    // elsewhere: an innocent one still gets its result, a culprit fails the second time), and the worker
    // is replaced. An idle worker is simply replaced: the request that left the timer behind already
    // has its one outcome.
    const reason = 'threw an uncaught error outside its task';
    this.stopAndReplace(handle, undefined, (job) => new WorkerCrashedError(job.id, reason, error, handle.number), crashed(reason, error));
  }

  /** The worker died on its own (exit, error event). */
  private onDeath(handle: WorkerHandle, reason: string, cause?: unknown): void {
    if (handle.state === 'gone') return;
    this.stopAndReplace(handle, undefined, (job) => new WorkerCrashedError(job.id, reason, cause, handle.number), crashed(reason, cause));
  }

  /**
   * Ends a running batch now with `errorFor(job)` (its timeout, its
   * cancellation). When a task of it read its signal (and its `cancelGrace`
   * is above 0), the worker aborts the signal and the batch keeps the worker
   * for at most that long: a task that settles by then leaves the worker as it was
   * (its setup, its warm state, the batches beside it). Else, or past that,
   * the worker is terminated and replaced; other batches running in it end
   * as crashed, so they are rerun.
   */
  private end(handle: WorkerHandle, batch: Batch, reason: AbortReason, errorFor: (job: Job, signalled: boolean) => FailureError): void {
    if (!handle.runs(batch)) return;
    if (batch.stopsByItself) {
      askToStop(
        handle,
        batch,
        reason,
        (job) => errorFor(job, true),
        () => this.end(handle, batch, reason, errorFor),
      );
      return;
    }
    this.stopAndReplace(handle, batch, (job) => errorFor(job, false), exited('terminated'));
  }

  /**
   * Takes a worker out of service for good and starts its replacement
   * (unless it was dismissed). Its batches end: `batch` (or, when none is
   * named, every one) with `errorFor(job)`, the others as crashed.
   */
  private stopAndReplace(handle: WorkerHandle, batch: Batch | undefined, errorFor: (job: Job) => FailureError, end: WorkerEnd): void {
    const counted = handle.counted;
    const batches = this.stopWorker(handle, false, end);
    if (counted) this.replace();
    if (batches.length === 0) {
      this.host.wake();
      return;
    }
    const neighbourFailed = (job: Job): FailureError =>
      new WorkerCrashedError(job.id, 'was terminated because another request running in it timed out or was cancelled', undefined, handle.number);
    for (const each of batches) each.finishEarly(batch === undefined || each === batch ? errorFor : neighbourFailed);
  }

  /** A new worker in the place of one that left, unless the pool is closed. */
  private replace(): void {
    if (this.closed) return;
    this.spawn();
    this.host.slotsChanged();
  }

  private startFailed(handle: WorkerHandle, cause: unknown): void {
    if (handle.state === 'gone') return;
    const error = startError(this.runtime, cause);
    handle.failStart(error);
    this.stopWorker(handle);
    if (this.closed) return;
    // Every worker runs the same module: when one cannot start, none will. Fail fast rather than respawn.
    this.failure = error;
    this.host.fail(error);
    void this.shutdown(() => error);
  }

  /**
   * Takes a worker out of service and stops it (see `WorkerHandle.stop`);
   * returns the batches it was running. A worker that was up is reported
   * gone as `end` says (one that never started is not).
   */
  private stopWorker(handle: WorkerHandle, graceful = false, end?: WorkerEnd): Batch[] {
    const known = this.workers.delete(handle.slot);
    const up = handle.up;
    const batches = handle.stop(graceful, this.options.terminateTimeout);
    const exit = handle.exited;
    this.leaving.add(exit);
    void exit.then(() => this.leaving.delete(exit));
    if (up && end) this.host.workerEvent(end(handle.number));
    // The keys placed on it move before any batch it ran ends (its reruns go to their keys' new slot).
    if (known) this.host.slotEnded(handle.slot);
    return batches;
  }
}
