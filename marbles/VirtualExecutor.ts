/**
 * The virtual-time executor: a slot is a virtual worker that runs a batch
 * at once, on the main thread, then answers after a number of frames on an
 * RxJS scheduler (a `TestScheduler` in marble tests). It sits behind the
 * same seam as the worker executor, so the scheduler above it is the real
 * one; and it runs tasks through the worker side's own runtime: the run
 * message the master would post (`encodeRun`), run by the batch runner of
 * `src/worker/batchRun.ts` (`runBatchNow`; a stream batch by
 * `feedStreamRun`), whose done, progress and cancellable messages come back
 * on an in-memory port and are checked and decoded as the master decodes a
 * thread's (`doneProblem`, `decodeFailure`).
 *
 * Virtual time: a batch's requests run one after another, each for its
 * `duration` frames; their tasks all ran when the batch started (their
 * results are known at once), and the outcomes arrive when its frames are
 * over. A timeout or a cancel ends the batch at its own frame with its own
 * outcomes. When a task of the batch that had started by then (in virtual
 * time) read its signal, the signal of the request running then aborts
 * (and those of the requests after it, which in virtual time never ran),
 * and the worker is kept while that request's frames run out, if they do
 * within `cancelGrace` frames; else, or when no such task read its signal,
 * the worker is replaced, at the end of the grace or at once.
 *
 * @module
 */
import type { WorkerExitReason } from '../src/events.js';
import { type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { type FailureError, PoolClosedError, ProtocolError, TaskCancelledError, TaskTimeoutError } from '../src/errors.js';
import {
  type BatchOutcomes,
  type BatchStart,
  DEFAULT_CANCEL_GRACE,
  type Done,
  type Executor,
  type ExecutorHost,
  failAll,
  type Job,
  type RunLimits,
  type RunningBatch,
  type SlotId,
  type SlotPlacement,
  type StreamListener,
  type StreamSupport,
} from '../src/executor.js';
import {
  type AbortReason,
  CANCELLABLE,
  DONE,
  type DoneMessage,
  doneProblem,
  encodeRun,
  isProgressFor,
  PROGRESS,
  type ProgressMessage,
} from '../src/messages.js';
import { decodeFailure, serializeError, type StreamRun } from '../src/wire.js';
import { abortReason, BatchRun, runBatchNow } from '../src/worker/batchRun.js';
import { declaredOptions } from '../src/worker/exposeTasks.js';
import { KeyMemory } from '../src/worker/keyMemory.js';
import type { MasterPort } from '../src/worker/port.js';
import { feedStreamRun } from '../src/worker/streamRun.js';
import { StreamSessions, type SubjectClass } from '../src/worker/streamTask.js';
import type { TaskMap } from '../src/tasks.js';

/** How many frames a request takes: a number, or a function of its task and arguments. */
export type VirtualDuration = number | ((task: string, args: readonly unknown[]) => number);

/** Ids of run messages, unique over every virtual pool: each reply names the message it answers. */
let lastRunId = 0;

let lastSlot = 0;

/**
 * A batch's run on a virtual worker: the batch runner's own, made
 * synchronous, which keeps each request's signal (by position, once its
 * task read it) for a cancel that comes frames after the run ended.
 */
class VirtualRun extends BatchRun {
  private readonly signals = new Map<number, AbortController>();

  override signalRead(at: number, controller: AbortController): void {
    this.signals.set(at, controller);
    super.signalRead(at, controller);
  }

  /** Whether the task of a request at or before `at` read its signal. */
  readBefore(at: number): boolean {
    for (const read of this.signals.keys()) if (read <= at) return true;
    return false;
  }

  /**
   * Cancelled while, in virtual time, the request at `at` runs: its signal
   * aborts, and so do those of the requests after it (in virtual time they
   * never ran); a task that reads its signal later finds it aborted.
   */
  abortFrom(at: number, reason: AbortReason): void {
    this.abort(reason);
    for (const [read, controller] of this.signals) if (read >= at) controller.abort(abortReason(reason));
  }
}

/** A batch on a virtual worker: its run, its outcomes once the worker side answered, and where it is in virtual time. */
class VirtualBatch {
  /** Its outcomes, decoded from the done message that answered its run message. */
  outcomes: BatchOutcomes | undefined;
  /** A task of it read its signal (the worker side said so). */
  cancellable = false;
  /** Its outcomes were handed to the scheduler before its frames were over (a timeout, a cancel, a close): a worker kept for it waits only for its task to stop. */
  delivered = false;
  /** Its completion, timeout or grace on the scheduler. */
  timer: Subscription | undefined;

  constructor(
    /** The id of its run message. */
    readonly id: number,
    readonly jobs: readonly Job[],
    readonly done: Done,
    readonly progress: ((at: number, value: unknown) => void) | undefined,
    /** The frame it started at. */
    readonly startedAt: number,
    /** When each request's frames end, counted from its start: its requests run one after another. */
    readonly ends: readonly number[],
    /** After a timeout or a cancel, the frames its task may take to settle when it reads its signal. */
    readonly cancelGrace: number,
    /** Its run by the batch runner (none for a stream batch, fed to the worker's instances). */
    readonly run: VirtualRun | undefined,
  ) {}

  /** Its frames: its requests', one after another. */
  get frames(): number {
    return this.ends.length === 0 ? 0 : this.ends[this.ends.length - 1];
  }

  /** The position of the request that runs `elapsed` frames after the start (the last, once every one has run). */
  runningAt(elapsed: number): number {
    const at = this.ends.findIndex((end) => end > elapsed);
    return at === -1 ? this.jobs.length - 1 : at;
  }

  /** Whether a cancel while the request at `at` runs aborts its signal and waits for it: a task run by then read its signal, it has a grace, it has not ended. */
  stopsByItself(at: number): this is { run: VirtualRun } {
    return this.cancellable && this.cancelGrace > 0 && !this.delivered && this.run !== undefined && this.run.readBefore(at);
  }
}

/** A virtual worker: its slot, its batch if it runs one, whether it was dismissed, and the keys it ran (for `keyReleased`). */
class VirtualWorker {
  readonly slot: SlotId = ++lastSlot;
  /** The pool's number for it (1, 2, … in the order it started). */
  number = 0;
  running: VirtualBatch | undefined;
  retiring = false;
  /** How many times it became idle: an idle timer of an earlier rest is stale. */
  rests = 0;
  /** Its stream instances, once a stream batch ran on it. */
  streams: StreamSessions | undefined;
  readonly gone: Promise<void>;
  markGone!: () => void;

  constructor(
    readonly keys: KeyMemory | undefined,
    /** Its worker side's channel to the master: what the batch runner posts reaches the executor at once. */
    readonly port: MasterPort,
  ) {
    this.gone = new Promise<void>((resolve) => (this.markGone = resolve));
  }
}

/** Runs batches in virtual time. */
export class VirtualExecutor implements Executor {
  private host!: ExecutorHost;
  /** Live workers (and dismissed ones still running), by slot. */
  private readonly workers = new Map<SlotId, VirtualWorker>();
  private readonly idle: VirtualWorker[] = [];
  /** The last number given to a worker. */
  private lastWorkerNumber = 0;
  private closed = false;
  readonly ready = Promise.resolve();
  readonly tasks: readonly string[];
  /** The module's `keyReleased`, when `exposeTasks` declared one. */
  private readonly keyReleased: ((key: string | number) => unknown) | undefined;
  /** The listeners of open stream sessions. */
  private readonly sessions = new Map<number, StreamListener>();
  /** Stream tasks run on virtual workers, in the main thread and in virtual time: what they emit reaches the listener at once. */
  readonly streams: StreamSupport = {
    listen: (session, listener) => void this.sessions.set(session, listener),
    forget: (session) => void this.sessions.delete(session),
    close: (slot, session, keys, cancel) => {
      const worker = this.workers.get(slot);
      if (cancel) worker?.streams?.cancel(session);
      else if (worker?.streams) worker.streams.complete(session, keys);
      // A virtual worker that never ran a stream batch has no instance: it is drained already.
      else if (worker && keys === undefined) this.sessions.get(session)?.drained(slot);
    },
  };
  /** Keyed work is placed on virtual workers as on threads: a slot is one virtual worker's life. */
  readonly placement: SlotPlacement = {
    slots: () => [...this.workers.values()].filter((worker) => !worker.retiring).map((worker) => worker.slot),
    hasRoom: (slot) => {
      const worker = this.workers.get(slot);
      return worker !== undefined && !worker.running && !worker.retiring;
    },
    release: (slot, groups, released) => {
      // In virtual time a release takes no frames: the worker runs `keyReleased` for each key at once.
      const keys = this.workers.get(slot)?.keys?.release(groups) ?? [];
      for (const key of keys) this.keyReleased?.(key);
      released();
    },
  };

  constructor(
    private readonly taskMap: TaskMap,
    private readonly size: number,
    private readonly scheduler: SchedulerLike,
    private readonly duration: VirtualDuration,
    /** Frames an idle worker waits before it asks whether it may exit (`ExecutorHost.mayRetire`); none: it stays. */
    private readonly idleTimeout?: number,
  ) {
    this.tasks = Object.keys(taskMap);
    this.keyReleased = declaredOptions(taskMap).keyReleased;
  }

  attach(host: ExecutorHost): void {
    this.host = host;
    void this.createWorkers(this.size);
  }

  get capacity(): number {
    let live = 0;
    for (const worker of this.workers.values()) if (!worker.retiring) live++;
    return live;
  }

  /** Workers are up at once. */
  readonly starting = 0;

  get busy(): number {
    let busy = 0;
    for (const worker of this.workers.values()) if (worker.running) busy++;
    return busy;
  }

  start({ jobs, limits, slot, stream }: BatchStart, done: Done): RunningBatch | undefined {
    let worker: VirtualWorker | undefined;
    if (slot === undefined) {
      worker = this.idle.shift();
    } else {
      const at = this.idle.findIndex((each) => each.slot === slot);
      worker = at === -1 ? undefined : this.idle.splice(at, 1)[0];
    }
    if (!worker) return undefined;
    const on = worker;
    const batch = this.runOn(on, jobs, done, limits, stream);
    return {
      slot: on.slot,
      cancel: () => this.end(on, batch, 'cancel', (job, signalled) => new TaskCancelledError(job.id, on.number, signalled)),
    };
  }

  createWorkers(n: number): Promise<void> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    for (let i = 0; i < n; i++) this.addWorker();
    this.host.slotsChanged();
    return Promise.resolve();
  }

  private addWorker(): void {
    const worker: VirtualWorker = new VirtualWorker(this.keyReleased ? new KeyMemory() : undefined, {
      post: (message) => this.onMessage(worker, message),
      // The master's messages (run, abort) reach a virtual worker as calls, not on its port.
      listen: () => undefined,
    });
    worker.number = ++this.lastWorkerNumber;
    this.workers.set(worker.slot, worker);
    this.rest(worker);
    this.host.workerEvent({ type: 'workerStarted', worker: worker.number });
  }

  /** A worker with nothing to do: after `idleTimeout` frames still idle, it exits if the host lets it. */
  private rest(worker: VirtualWorker): void {
    this.idle.push(worker);
    if (this.idleTimeout === undefined) return;
    const rest = ++worker.rests;
    this.scheduler.schedule(() => {
      if (worker.running || worker.rests !== rest || !this.workers.has(worker.slot) || !this.host.mayRetire()) return;
      this.remove(worker, 'idle');
      this.host.slotsChanged();
    }, this.idleTimeout);
  }

  dismissWorkers(n: number): { count: number; gone: Promise<void> } {
    const victims: VirtualWorker[] = this.idle.splice(Math.max(0, this.idle.length - n));
    for (const worker of this.workers.values()) {
      if (victims.length >= n) break;
      if (worker.running && !worker.retiring) victims.push(worker);
    }
    for (const worker of victims) {
      worker.retiring = true;
      if (!worker.running) this.remove(worker, 'dismissed');
    }
    this.host.slotsChanged();
    return { count: victims.length, gone: Promise.all(victims.map((worker) => worker.gone)).then(() => undefined) };
  }

  /**
   * Ends every worker now, and the batches they run with `PoolClosedError`.
   * A task that reads its signal sees it abort (an `AbortError`), as on a
   * thread; its worker is not kept for it (nothing could run on it).
   */
  close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    for (const worker of [...this.workers.values()]) {
      const batch = worker.running;
      this.remove(worker, 'closed');
      if (!batch || batch.delivered) continue;
      const elapsed = this.scheduler.now() - batch.startedAt;
      const at = batch.runningAt(elapsed);
      const signalled = batch.stopsByItself(at);
      batch.delivered = true;
      batch.done(
        failAll(batch.jobs, (job) => new PoolClosedError(job.id)),
        elapsed,
      );
      if (signalled) batch.run.abortFrom(at, 'cancel');
    }
    return Promise.resolve();
  }

  /** Runs a batch on `worker` now, through the worker side's runtime, and sets its end: its frames, or its timeout. */
  private runOn(worker: VirtualWorker, jobs: readonly Job[], done: Done, limits?: RunLimits, stream?: StreamRun): VirtualBatch {
    const progress = limits?.progress;
    const message = encodeRun(++lastRunId, jobs, {
      ...(progress === undefined ? {} : { progress: true }),
      ...(stream === undefined ? {} : { stream }),
    });
    const run = stream ? undefined : new VirtualRun(this.taskMap, message, worker.port, worker.keys, true);
    const cancelGrace = limits?.cancelGrace ?? DEFAULT_CANCEL_GRACE;
    let elapsed = 0;
    const ends = jobs.map((job) => (elapsed += this.framesOf(job)));
    const batch = new VirtualBatch(message.batch, jobs, done, progress, this.scheduler.now(), ends, cancelGrace, run);
    worker.running = batch;
    // Its done message (and any progress, and whether a task read its signal) comes back on the port before this returns.
    if (run) runBatchNow(worker.port, run);
    else worker.port.post(feedStreamRun(this.streamsOf(worker), this.taskMap, message));
    // A task that closed the pool or cancelled its own request, say, ended it while it ran.
    if (worker.running !== batch || batch.delivered) return batch;
    const { frames } = batch;
    const timeout = limits?.timeout;
    if (timeout !== undefined && frames > timeout) {
      batch.timer = this.scheduler.schedule(
        () => this.end(worker, batch, 'timeout', (job, signalled) => new TaskTimeoutError(job.task, job.id, timeout, worker.number, signalled)),
        timeout,
      );
      return batch;
    }
    batch.timer = this.scheduler.schedule(() => {
      const outcomes = batch.outcomes;
      if (!outcomes) throw new Error(`virtual worker ${worker.number} never answered its batch`);
      this.free(worker);
      done(outcomes, frames);
    }, frames);
    return batch;
  }

  /** What the worker side posts: a batch's outcomes, a generator's progress, the news that a task reads its signal. */
  private onMessage(worker: VirtualWorker, data: unknown): void {
    const message = data as { type?: unknown; batch?: unknown } | null;
    const batch = worker.running;
    if (!batch || message?.batch !== batch.id) return;
    if (message.type === DONE) this.receive(batch, message as DoneMessage, worker.number);
    else if (message.type === PROGRESS) this.receiveProgress(worker, batch, message as ProgressMessage);
    else if (message.type === CANCELLABLE) batch.cancellable = true;
  }

  /** A done message: checked, and its failures decoded, as the master does a thread's (`BatchWire.receive`). */
  private receive(batch: VirtualBatch, message: DoneMessage, worker: number): void {
    const { jobs } = batch;
    const { refused } = message;
    const problem = refused === undefined ? doneProblem(message, jobs.length) : typeof refused === 'string' ? refused : 'no reason given';
    if (problem !== undefined) {
      batch.outcomes = failAll(jobs, (job) => new ProtocolError('thread', problem, job.id, refused !== undefined));
      return;
    }
    const { values, failures } = message;
    if (!failures || failures.length === 0) {
      batch.outcomes = { values };
      return;
    }
    const errors = new Array<FailureError | undefined>(jobs.length);
    for (const failure of failures) errors[failure.at] = decodeFailure(jobs[failure.at], failure, worker);
    batch.outcomes = { values, errors };
  }

  /** A progress message: it reaches the listener on the frame the run started (after the run), unless the batch has ended by then. */
  private receiveProgress(worker: VirtualWorker, batch: VirtualBatch, message: ProgressMessage): void {
    const { progress } = batch;
    if (!progress || !isProgressFor(message, batch.jobs.length)) return;
    const { at, value } = message;
    this.scheduler.schedule(() => {
      if (worker.running === batch && !batch.delivered) progress(at, value);
    });
  }

  /**
   * Ends a running batch now with `errorFor(job, signalled)` (its timeout,
   * its cancel). When a task of it run by now read its signal (and its
   * `cancelGrace` is above 0), the signal aborts and the worker is kept
   * until the running request's frames are over, if that is within the
   * grace: it is then free, as it was. Else, or past the grace, the worker
   * is replaced.
   */
  private end(worker: VirtualWorker, batch: VirtualBatch, reason: AbortReason, errorFor: (job: Job, signalled: boolean) => FailureError): void {
    if (worker.running !== batch || batch.delivered) return;
    batch.timer?.unsubscribe();
    const elapsed = this.scheduler.now() - batch.startedAt;
    const at = batch.runningAt(elapsed);
    if (batch.stopsByItself(at)) {
      batch.delivered = true;
      const stopsIn = Math.max(0, batch.ends[at] - elapsed);
      batch.timer =
        stopsIn <= batch.cancelGrace
          ? this.scheduler.schedule(() => this.stopped(worker, batch), stopsIn)
          : this.scheduler.schedule(() => {
              if (worker.running === batch) this.replace(worker);
            }, batch.cancelGrace);
      batch.done(
        failAll(batch.jobs, (job) => errorFor(job, true)),
        elapsed,
      );
      batch.run.abortFrom(at, reason);
      return;
    }
    this.replace(worker);
    batch.done(
      failAll(batch.jobs, (job) => errorFor(job, false)),
      elapsed,
    );
  }

  /** A cancelled batch's task stopped by itself within its grace: its worker, kept, is free again. */
  private stopped(worker: VirtualWorker, batch: VirtualBatch): void {
    if (worker.running !== batch) return;
    this.free(worker);
    this.host.wake();
  }

  /** A worker's batch is over: it rests, or leaves if it was dismissed. */
  private free(worker: VirtualWorker): void {
    worker.running = undefined;
    if (worker.retiring) this.remove(worker, 'dismissed');
    else this.rest(worker);
  }

  /** Terminates a worker under its batch, and puts a new worker in its place (unless it was dismissed). */
  private replace(worker: VirtualWorker): void {
    const retiring = worker.retiring;
    this.remove(worker, 'terminated');
    if (!retiring) {
      this.addWorker();
      this.host.slotsChanged();
    }
  }

  /** The worker's stream instances (made at its first stream batch), on the scheduler's clock; what they emit reaches the session's listener at once. */
  private streamsOf(worker: VirtualWorker): StreamSessions {
    worker.streams ??= new StreamSessions(
      {
        output: (session, key, value) => this.sessions.get(session)?.output([key], [value]),
        ended: (session, key, ...failure) => this.sessions.get(session)?.ended(worker.slot, key, failure.length > 0 ? serializeError(failure[0]) : undefined),
        drained: (session) => this.sessions.get(session)?.drained(worker.slot),
      },
      Subject as SubjectClass,
      (ms, callback) => {
        const action = this.scheduler.schedule(callback, ms);
        return () => action.unsubscribe();
      },
    );
    return worker.streams;
  }

  private framesOf(job: Job): number {
    return typeof this.duration === 'number' ? this.duration : this.duration(job.task, job.args);
  }

  private remove(worker: VirtualWorker, reason: WorkerExitReason): void {
    worker.running?.timer?.unsubscribe();
    worker.running = undefined;
    // Its instances go with it (their timers stop): the pool reports them ended.
    worker.streams?.cancelAll();
    const idle = this.idle.indexOf(worker);
    if (idle !== -1) this.idle.splice(idle, 1);
    if (this.workers.delete(worker.slot)) {
      this.host.slotEnded(worker.slot);
      this.host.workerEvent({ type: 'workerExited', worker: worker.number, reason });
    }
    worker.markGone();
  }
}
