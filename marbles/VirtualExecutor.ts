/**
 * The virtual-time executor: a slot is a virtual worker that runs a batch
 * synchronously, then answers after a number of frames on an RxJS
 * scheduler (a `TestScheduler` in marble tests). It sits behind the same
 * seam as the threads.js executor, so the scheduler above it is the real one.
 *
 * @module
 */
import type { WorkerExitReason } from '../src/events.js';
import { type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { type FailureError, PoolClosedError, TaskCancelledError, TaskError, TaskTimeoutError, UnknownTaskError } from '../src/errors.js';
import {
  type BatchStart,
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
import type { Key } from '../src/keys.js';
import { streamBodyOf, StreamSessions, type SubjectClass } from '../src/worker/streamTask.js';
import type { StreamRun } from '../src/wire.js';
import { declaredOptions } from '../src/worker/exposeTasks.js';
import { KeyMemory } from '../src/worker/keyMemory.js';
import { serializeError } from '../src/wire.js';
import type { TaskMap } from '../src/tasks.js';
import { unwrapTransfer } from '../src/transfer.js';

/** How many frames a request takes: a number, or a function of its task and arguments. */
export type VirtualDuration = number | ((task: string, args: readonly unknown[]) => number);

interface Running {
  readonly jobs: readonly Job[];
  readonly done: Done;
  readonly timer: Subscription;
  readonly frames: number;
}

let lastSlot = 0;

/** A virtual worker: its slot, its batch if it runs one, whether it was dismissed, and the keys it ran (for `keyReleased`). */
class VirtualWorker {
  readonly slot: SlotId = ++lastSlot;
  /** The pool's number for it (1, 2, … in the order it started). */
  number = 0;
  running: Running | undefined;
  retiring = false;
  /** How many times it became idle: an idle timer of an earlier rest is stale. */
  rests = 0;
  /** Its stream instances, once a stream batch ran on it. */
  streams: StreamSessions | undefined;
  readonly gone: Promise<void>;
  markGone!: () => void;

  constructor(readonly keys: KeyMemory | undefined) {
    this.gone = new Promise<void>((resolve) => (this.markGone = resolve));
  }
}

function isSyncGenerator(value: unknown): value is Generator<unknown, unknown, undefined> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Symbol.iterator in value &&
    typeof (value as Generator).next === 'function' &&
    typeof (value as Generator).throw === 'function'
  );
}

function isAsyncIterator(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
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
    this.runOn(worker, jobs, done, limits, stream);
    const on = worker;
    return {
      slot: on.slot,
      cancel: () => {
        if (on.running?.jobs === jobs) this.replace(on, (job) => new TaskCancelledError(job.id));
      },
    };
  }

  createWorkers(n: number): Promise<void> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    for (let i = 0; i < n; i++) this.addWorker();
    this.host.slotsChanged();
    return Promise.resolve();
  }

  private addWorker(): void {
    const worker = new VirtualWorker(this.keyReleased ? new KeyMemory() : undefined);
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

  close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    for (const worker of [...this.workers.values()]) {
      const running = worker.running;
      this.remove(worker, 'closed');
      if (running) {
        running.timer.unsubscribe();
        running.done(
          failAll(running.jobs, (job) => new PoolClosedError(job.id)),
          running.frames,
        );
      }
    }
    return Promise.resolve();
  }

  private runOn(worker: VirtualWorker, jobs: readonly Job[], done: Done, limits?: RunLimits, stream?: StreamRun): void {
    const values: unknown[] = [];
    const errors: (FailureError | undefined)[] = [];
    const progress = limits?.progress;
    for (let at = 0; at < jobs.length; at++) {
      const job = jobs[at];
      const outcome = stream
        ? this.feed(worker, job, stream)
        : this.runJob(job, worker.slot, progress && ((value: unknown) => this.scheduler.schedule(() => worker.running?.jobs === jobs && progress(at, value))));
      values.push(outcome.ok ? outcome.value : undefined);
      errors.push(outcome.ok ? undefined : outcome.error);
    }
    const outcomes = { values, errors };
    const frames = jobs.reduce((sum, job) => sum + this.framesOf(job), 0);
    const timeout = limits?.timeout;
    if (timeout !== undefined && frames > timeout) {
      const timer = this.scheduler.schedule(() => this.replace(worker, (job) => new TaskTimeoutError(job.task, job.id, timeout)), timeout);
      worker.running = { jobs, done, timer, frames: timeout };
      return;
    }
    const timer = this.scheduler.schedule(() => {
      worker.running = undefined;
      if (worker.retiring) this.remove(worker, 'dismissed');
      else this.rest(worker);
      done(outcomes, frames);
    }, frames);
    worker.running = { jobs, done, timer, frames };
  }

  /** Ends a worker's running batch now with `errorFor(job)`, and puts a new worker in its place. */
  private replace(worker: VirtualWorker, errorFor: (job: Job) => FailureError): void {
    const running = worker.running;
    if (!running) return;
    running.timer.unsubscribe();
    const retiring = worker.retiring;
    this.remove(worker, 'terminated');
    if (!retiring) {
      this.addWorker();
      this.host.slotsChanged();
    }
    running.done(failAll(running.jobs, errorFor), running.frames);
  }

  /** Feeds a stream batch's job to its key's instance on `worker` (at the frame the batch starts); its outcome says whether it was fed. */
  private feed(worker: VirtualWorker, job: Job, stream: StreamRun): { ok: true; value: unknown } | { ok: false; error: FailureError } {
    const task = Object.hasOwn(this.taskMap, job.task) ? this.taskMap[job.task] : undefined;
    const body = streamBodyOf(task);
    if (!body) {
      const thrown = new TypeError(`task "${job.task}" is not a stream task: declare it with streamTask()`);
      return { ok: false, error: task ? new TaskError(job.task, job.id, serializeError(thrown)) : new UnknownTaskError(job.task, this.tasks) };
    }
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
    try {
      worker.streams.feed(stream.session, job.key as Key, job.args[0], body.operator, stream.unkeyed === true, stream.idle);
      return { ok: true, value: undefined };
    } catch (error) {
      return { ok: false, error: new TaskError(job.task, job.id, serializeError(error)) };
    }
  }

  private framesOf(job: Job): number {
    return typeof this.duration === 'number' ? this.duration : this.duration(job.task, job.args);
  }

  private runJob(job: Job, slot: SlotId, progress?: (value: unknown) => void): { ok: true; value: unknown } | { ok: false; error: FailureError } {
    const task = Object.hasOwn(this.taskMap, job.task) ? this.taskMap[job.task] : undefined;
    if (!task) return { ok: false, error: new UnknownTaskError(job.task, this.tasks) };
    try {
      if (job.key !== undefined) this.workers.get(slot)?.keys?.note(job.key);
      let value = task.apply({ key: job.key }, job.args as unknown[]);
      if (isSyncGenerator(value)) {
        // A generator task: its yields are progress, reported at the frame the run starts.
        let step = value.next();
        for (; !step.done; step = value.next()) progress?.(step.value);
        value = step.value;
      }
      if (typeof (value as { then?: unknown } | null)?.then === 'function' || isAsyncIterator(value)) {
        return {
          ok: false,
          error: new TaskError(
            job.task,
            job.id,
            serializeError(
              new TypeError('a virtual pool runs synchronous tasks (and sync generators) only; this one returned a promise or an async generator'),
            ),
          ),
        };
      }
      return { ok: true, value: unwrapTransfer(value) };
    } catch (error) {
      return { ok: false, error: new TaskError(job.task, job.id, serializeError(error)) };
    }
  }

  private remove(worker: VirtualWorker, reason: WorkerExitReason): void {
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
