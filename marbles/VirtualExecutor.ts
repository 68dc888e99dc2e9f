/**
 * The virtual-time executor: a slot is a virtual worker that runs a batch
 * synchronously, then answers after a number of frames on an RxJS
 * scheduler (a `TestScheduler` in marble tests). It sits behind the same
 * seam as the threads.js executor, so the scheduler above it is the real one.
 *
 * @module
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { type FailureError, PoolClosedError, TaskCancelledError, TaskError, TaskTimeoutError, UnknownTaskError } from '../src/errors.js';
import { type Done, type Executor, type ExecutorHost, failAll, type Job, type RunLimits, type RunningBatch } from '../src/executor.js';
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

/** A virtual worker: its batch, if it runs one, and whether it was dismissed. */
class VirtualWorker {
  running: Running | undefined;
  retiring = false;
  readonly gone: Promise<void>;
  markGone!: () => void;

  constructor() {
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
  private readonly workers = new Set<VirtualWorker>();
  private readonly idle: VirtualWorker[] = [];
  private closed = false;
  readonly ready = Promise.resolve();
  readonly tasks: readonly string[];

  constructor(
    private readonly taskMap: TaskMap,
    private readonly size: number,
    private readonly scheduler: SchedulerLike,
    private readonly duration: VirtualDuration,
  ) {
    this.tasks = Object.keys(taskMap);
  }

  attach(host: ExecutorHost): void {
    this.host = host;
    void this.createWorkers(this.size);
  }

  get capacity(): number {
    let live = 0;
    for (const worker of this.workers) if (!worker.retiring) live++;
    return live;
  }

  get busy(): number {
    let busy = 0;
    for (const worker of this.workers) if (worker.running) busy++;
    return busy;
  }

  start(jobs: readonly Job[], done: Done, limits: RunLimits | undefined): RunningBatch | undefined {
    const worker = this.idle.shift();
    if (!worker) return undefined;
    this.runOn(worker, jobs, done, limits);
    return {
      cancel: () => {
        if (worker.running?.jobs === jobs) this.replace(worker, (job) => new TaskCancelledError(job.id));
      },
    };
  }

  createWorkers(n: number): Promise<void> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    for (let i = 0; i < n; i++) {
      const worker = new VirtualWorker();
      this.workers.add(worker);
      this.idle.push(worker);
    }
    this.host.wake();
    return Promise.resolve();
  }

  dismissWorkers(n: number): { count: number; gone: Promise<void> } {
    const victims: VirtualWorker[] = this.idle.splice(Math.max(0, this.idle.length - n));
    for (const worker of this.workers) {
      if (victims.length >= n) break;
      if (worker.running && !worker.retiring) victims.push(worker);
    }
    for (const worker of victims) {
      worker.retiring = true;
      if (!worker.running) this.remove(worker);
    }
    this.host.wake();
    return { count: victims.length, gone: Promise.all(victims.map((worker) => worker.gone)).then(() => undefined) };
  }

  close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    for (const worker of [...this.workers]) {
      const running = worker.running;
      this.remove(worker);
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

  private runOn(worker: VirtualWorker, jobs: readonly Job[], done: Done, limits?: RunLimits): void {
    const values: unknown[] = [];
    const errors: (FailureError | undefined)[] = [];
    const progress = limits?.progress;
    for (let at = 0; at < jobs.length; at++) {
      const job = jobs[at];
      const outcome = this.runJob(job, progress && ((value: unknown) => this.scheduler.schedule(() => worker.running?.jobs === jobs && progress(at, value))));
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
      if (worker.retiring) this.remove(worker);
      else this.idle.push(worker);
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
    this.remove(worker);
    if (!retiring) {
      const fresh = new VirtualWorker();
      this.workers.add(fresh);
      this.idle.push(fresh);
    }
    running.done(failAll(running.jobs, errorFor), running.frames);
  }

  private framesOf(job: Job): number {
    return typeof this.duration === 'number' ? this.duration : this.duration(job.task, job.args);
  }

  private runJob(job: Job, progress?: (value: unknown) => void): { ok: true; value: unknown } | { ok: false; error: FailureError } {
    const task = Object.hasOwn(this.taskMap, job.task) ? this.taskMap[job.task] : undefined;
    if (!task) return { ok: false, error: new UnknownTaskError(job.task, this.tasks) };
    try {
      let value = task(...job.args);
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

  private remove(worker: VirtualWorker): void {
    worker.running = undefined;
    this.workers.delete(worker);
    worker.markGone();
  }
}
