/**
 * The threads.js executor: a slot is one worker thread, spawned with
 * threads.js `spawn`, running one batch at a time.
 *
 * It watches each worker's native `error` and `exit` events and threads.js's
 * raw `uncaughtError` message, so a request never waits on a dead worker: a
 * worker that dies mid-request is replaced and its requests end with
 * `WorkerCrashedError`. A worker that cannot start fails the pool at once
 * with `WorkerStartError`, instead of threads.js's 10-second init timeout.
 *
 * @module
 */
import { DataCloneError, PoolClosedError, TaskCancelledError, TaskError, TaskTimeoutError, UnknownTaskError, WorkerCrashedError, WorkerStartError } from '../errors.js';
import { type BatchOutcomes, type Done, type Executor, type ExecutorHost, failAll, type Job, type RunLimits, type Slot } from '../executor.js';
import { DONE, type DoneMessage, encodeRun, isCloneable, isErrorLike, type SerializedError } from '../protocol.js';
import { type SpawnedThread, threadsMaster } from './threadsMaster.js';
import type { ResolvedSource, WorkerPort } from './workerSource.js';
import type { Transferable } from '../transfer.js';

/** What a Node worker (threads.js's or ours) adds to {@link WorkerPort}. */
interface NodeEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (data: unknown) => void): unknown;
}

function isNodeWorker(worker: WorkerPort): worker is WorkerPort & NodeEvents {
  return typeof (worker as Partial<NodeEvents>).on === 'function';
}

type Listener = (event: { data: unknown }) => void;

/** Node workers can stop (or start again) keeping the process alive. */
interface Refable {
  ref(): void;
  unref(): void;
}

interface Batch {
  readonly jobs: readonly Job[];
  readonly done: Done;
  readonly started: number;
  /** Its id on the wire. */
  id: number;
  /** When some jobs could not be sent: their errors, by position; the others were sent, in order. */
  unsent?: (Error | undefined)[];
  /** The batch's timeout. */
  timer?: ReturnType<typeof setTimeout>;
}


let lastBatchId = 0;
let lastWorkerNumber = 0;

type State = 'starting' | 'idle' | 'busy' | 'gone';

class WorkerHandle implements Slot {
  /** A number for messages: workers are counted in start order, process-wide. */
  readonly number = ++lastWorkerNumber;
  state: State = 'starting';
  /** Dismissed: takes no new batch, exits after the current one. */
  retiring = false;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  worker: WorkerPort | undefined;
  thread: SpawnedThread | undefined;
  spawnPending = false;
  releaseSpawn: () => void = () => undefined;
  batch: Batch | undefined;
  readonly exited: Promise<void>;
  markExited!: () => void;
  readonly started: Promise<void>;
  settleStart!: (error?: Error) => void;

  constructor(private readonly executor: ThreadsExecutor) {
    this.exited = new Promise<void>((resolve) => (this.markExited = resolve));
    this.started = new Promise<void>((resolve, reject) => {
      this.settleStart = (error) => (error ? reject(error) : resolve());
    });
    this.started.catch(() => undefined);
  }

  run(jobs: readonly Job[], done: Done, limits?: RunLimits): void {
    const batch: Batch = { jobs, done, started: performance.now(), id: ++lastBatchId };
    if (limits?.timeout !== undefined) {
      const timeout = limits.timeout;
      batch.timer = setTimeout(() => this.executor.replaceBusy(this, batch, (job) => new TaskTimeoutError(job.task, job.id, timeout, this.number)), timeout);
    }
    this.executor.send(this, batch);
  }

  cancel(): void {
    if (this.batch) this.executor.replaceBusy(this, this.batch, (job) => new TaskCancelledError(job.id, this.number));
  }
}

/** Options of {@link ThreadsExecutor}. */
export interface ThreadsExecutorOptions {
  readonly size: number;
  /** How long a worker may take to call `exposeTasks()`, in ms. */
  readonly startTimeout: number;
  /** How long an idle worker waits before it exits (its slot stays, and starts a thread again on demand), in ms. */
  readonly idleTimeout?: number;
  /** How long terminating a worker may take before the pool stops waiting for it (terminate can hang), in ms. */
  readonly terminateTimeout: number;
}

/** Runs batches on threads.js workers. */
export class ThreadsExecutor implements Executor {
  private host!: ExecutorHost;
  private readonly handles = new Set<WorkerHandle>();
  private readonly idle: WorkerHandle[] = [];
  private live = 0;
  /** Slots whose idle worker exited after `idleTimeout`: a thread starts again when work comes. */
  private dormant = 0;
  private running = 0;
  private stopped = false;
  private failure: Error | undefined;
  private names: readonly string[] | undefined;
  ready!: Promise<void>;

  constructor(
    private readonly source: ResolvedSource,
    private readonly options: ThreadsExecutorOptions,
  ) {}

  attach(host: ExecutorHost): void {
    this.host = host;
    this.ready = this.createWorkers(this.options.size);
  }

  get capacity(): number {
    return this.live + this.dormant;
  }

  get busy(): number {
    return this.running;
  }

  get tasks(): readonly string[] | undefined {
    return this.names;
  }

  acquire(): Slot | undefined {
    const handle = this.idle.pop();
    if (handle) {
      handle.state = 'busy';
      this.running++;
      clearTimeout(handle.idleTimer);
      (handle.worker as Partial<Refable>).ref?.();
    } else if (this.dormant > 0 && !this.stopped) {
      // Work is waiting and a slot has no thread: start one (it wakes the scheduler when ready).
      this.dormant--;
      this.spawn();
    }
    return handle;
  }

  /** A worker with nothing to do: it does not keep the process alive, and exits after `idleTimeout`. */
  private makeIdle(handle: WorkerHandle): void {
    this.idle.push(handle);
    (handle.worker as Partial<Refable>).unref?.();
    const { idleTimeout } = this.options;
    if (idleTimeout === undefined) return;
    handle.idleTimer = setTimeout(() => {
      if (handle.state !== 'idle' || handle.retiring) return;
      this.live--;
      this.dormant++;
      this.stop(handle);
    }, idleTimeout);
    handle.idleTimer.unref?.();
  }

  createWorkers(n: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const started: Promise<void>[] = [];
    for (let i = 0; i < n; i++) started.push(this.spawn().started);
    this.host.wake();
    return Promise.all(started).then(() => undefined);
  }

  dismissWorkers(n: number): { count: number; gone: Promise<void> } {
    // Slots without a thread go first: dismissing them costs nothing.
    const asleep = Math.min(n, this.dormant);
    this.dormant -= asleep;
    n -= asleep;
    const victims: WorkerHandle[] = [];
    const order: State[] = ['idle', 'starting', 'busy'];
    for (const state of order) {
      for (const handle of state === 'idle' ? [...this.idle].reverse() : this.handles) {
        if (victims.length === n) break;
        if (handle.state === state && !handle.retiring) victims.push(handle);
      }
    }
    for (const handle of victims) {
      handle.retiring = true;
      this.live--;
      if (handle.state !== 'busy') this.stop(handle);
    }
    this.host.wake();
    return { count: asleep + victims.length, gone: Promise.all(victims.map((handle) => handle.exited)).then(() => undefined) };
  }

  close(): Promise<void> {
    return this.shutdown((job) => new PoolClosedError(job.id));
  }

  /** Terminates every worker; running requests end with `errorFor(job)`. */
  private shutdown(errorFor: (job: Job) => Error): Promise<void> {
    this.stopped = true;
    this.idle.length = 0;
    this.dormant = 0;
    const exits: Promise<void>[] = [];
    for (const handle of [...this.handles]) {
      const batch = handle.batch;
      this.stop(handle);
      exits.push(handle.exited);
      if (batch) batch.done(failAll(batch.jobs, errorFor), performance.now() - batch.started);
    }
    this.live = 0;
    return Promise.all(exits).then(() => undefined);
  }

  /** @internal Sends a batch to a worker that `acquire` returned. */
  send(handle: WorkerHandle, batch: Batch): void {
    handle.batch = batch;
    const jobs = batch.jobs;
    let transfer: Transferable[] | undefined;
    for (let i = 0; i < jobs.length; i++) if (jobs[i].transfer) (transfer ??= []).push(...(jobs[i].transfer as Transferable[]));
    try {
      (handle.worker as WorkerPort).postMessage(encodeRun(batch.id, jobs), transfer);
    } catch (error) {
      this.sendSeparately(handle, batch, error);
    }
  }

  /**
   * The batch could not be posted: find the requests whose arguments cannot
   * be cloned, end them with `DataCloneError`, and send the others.
   */
  private sendSeparately(handle: WorkerHandle, batch: Batch, error: unknown): void {
    const jobs = batch.jobs;
    const unsent = jobs.map((job): Error | undefined => {
      const position = job.args.findIndex((arg) => !isCloneable(arg));
      if (position === -1 && jobs.length > 1) return undefined;
      return new DataCloneError(job.id, 'arguments', error, position === -1 ? undefined : position);
    });
    const rest = jobs.filter((_, i) => unsent[i] === undefined);
    if (rest.length === 0 || rest.length === jobs.length) {
      this.finishBatch(handle, batch, { values: [], errors: unsent.map((sent, i) => sent ?? new DataCloneError(jobs[i].id, 'arguments', error)) });
      return;
    }
    batch.unsent = unsent;
    batch.id = ++lastBatchId;
    try {
      (handle.worker as WorkerPort).postMessage(encodeRun(batch.id, rest));
    } catch (again) {
      this.finishBatch(handle, batch, { values: [], errors: unsent.map((sent, i) => sent ?? new DataCloneError(jobs[i].id, 'arguments', again)) });
    }
  }

  private spawn(): WorkerHandle {
    const handle = new WorkerHandle(this);
    this.handles.add(handle);
    this.live++;
    let worker: WorkerPort;
    try {
      worker = this.source.create();
    } catch (error) {
      queueMicrotask(() => this.startFailed(handle, error));
      return handle;
    }
    handle.worker = worker;
    if (isNodeWorker(worker)) {
      // Listen before `spawn`: an `error` event without a listener would crash the process.
      worker.on('error', (error) => this.onDeath(handle, 'threw an uncaught error', error));
      worker.on('exit', (code) => this.onDeath(handle, `exited with code ${code}`));
      worker.on('message', (data) => this.onMessage(handle, data));
    } else {
      worker.addEventListener('error', (event) => this.onDeath(handle, 'threw an uncaught error', (event as { error?: unknown }).error ?? event));
      worker.addEventListener('message', (event) => this.onMessage(handle, event.data));
    }
    handle.spawnPending = true;
    threadsMaster().spawn(this.facadeFor(handle, worker), { timeout: this.options.startTimeout }).then(
      (thread) => {
        handle.spawnPending = false;
        this.onSpawned(handle, thread);
      },
      (error: unknown) => {
        handle.spawnPending = false;
        this.startFailed(handle, error);
      },
    );
    return handle;
  }

  /**
   * What `spawn` sees of a worker: the worker itself, except that the
   * listeners spawn adds while it waits for the init message are recorded,
   * so {@link WorkerHandle.releaseSpawn} can answer them after the worker has
   * died (Node drops a worker's message listeners before its `exit` event).
   */
  private facadeFor(handle: WorkerHandle, worker: WorkerPort): WorkerPort {
    const waiting = new Set<Listener>();
    handle.releaseSpawn = () => {
      const init = { data: { type: 'init', exposed: { type: 'module', methods: [] } } };
      for (const listener of [...waiting]) listener(init);
    };
    return {
      postMessage: (message, transfer) => worker.postMessage(message, transfer),
      terminate: () => worker.terminate(),
      addEventListener: (type, listener) => {
        if (handle.spawnPending && type === 'message') waiting.add(listener);
        worker.addEventListener(type, listener);
      },
      removeEventListener: (type, listener) => {
        waiting.delete(listener);
        worker.removeEventListener(type, listener);
      },
    };
  }

  private onSpawned(handle: WorkerHandle, thread: Partial<SpawnedThread>): void {
    if (handle.state !== 'starting') return;
    if (typeof thread.tasks !== 'function') {
      this.startFailed(handle, new Error('the module does not call exposeTasks() from rxjs-threadpool/worker'));
      return;
    }
    const ready = thread as SpawnedThread;
    ready.tasks().then(
      (names) => {
        if (handle.state !== 'starting') return;
        this.names ??= names;
        handle.thread = ready;
        handle.state = 'idle';
        handle.settleStart();
        if (handle.retiring) {
          this.stop(handle);
        } else {
          this.makeIdle(handle);
          this.host.wake();
        }
      },
      (error: unknown) => this.startFailed(handle, error),
    );
  }

  private onMessage(handle: WorkerHandle, data: unknown): void {
    const message = data as Partial<DoneMessage> & { type?: unknown; error?: SerializedError } | null;
    if (message?.type === DONE) {
      const batch = handle.batch;
      if (batch && message.batch === batch.id) this.onReply(handle, batch, message as DoneMessage);
      return;
    }
    if (message?.type !== 'uncaughtError') return;
    // threads.js keeps a worker alive after an uncaught exception or rejection and reports it here.
    const error = remoteError(message.error);
    if (handle.state === 'starting') {
      this.startFailed(handle, error);
      return;
    }
    if (handle.state === 'gone') return;
    // The worker survived, but its state is suspect, and a request waiting on the failed code may never
    // settle: a running batch ends as if its worker had crashed (so its requests are rerun once, alone,
    // elsewhere: an innocent one still gets its result, a culprit fails the second time), and the worker
    // is replaced. An idle worker is simply replaced: the request that left the timer behind already
    // has its one outcome.
    if (handle.state === 'busy') {
      this.replace(handle, handle.batch, (job) => new WorkerCrashedError(job.id, 'threw an uncaught error outside its task', error, handle.number));
      return;
    }
    if (handle.retiring) return;
    handle.retiring = true;
    this.live--;
    if (handle.state === 'idle') this.stop(handle);
    if (!this.stopped) this.spawn();
    this.host.wake();
  }

  private onReply(handle: WorkerHandle, batch: Batch, { values, failures }: DoneMessage): void {
    const { jobs, unsent } = batch;
    if (!failures && !unsent) {
      this.finishBatch(handle, batch, { values });
      return;
    }
    // Map the worker's positions (of the jobs that were sent) back to the batch's.
    const sent = unsent ? jobs.flatMap((_, i) => (unsent[i] ? [] : [i])) : undefined;
    const allValues: unknown[] = sent ? new Array<unknown>(jobs.length) : (values as unknown[]);
    if (sent) sent.forEach((i, at) => (allValues[i] = values[at]));
    const errors: (Error | undefined)[] = unsent ? [...unsent] : new Array<Error | undefined>(jobs.length);
    for (const failure of failures ?? []) {
      const i = sent ? sent[failure.at] : failure.at;
      const job = jobs[i];
      errors[i] = failure.unknownTask
        ? new UnknownTaskError(job.task, failure.unknownTask)
        : failure.uncloneable
          ? new DataCloneError(job.id, 'result', remoteError(failure.error))
          : new TaskError(job.task, job.id, failure.error);
    }
    this.finishBatch(handle, batch, { values: allValues, errors });
  }

  private finishBatch(handle: WorkerHandle, batch: Batch, outcomes: BatchOutcomes): void {
    clearTimeout(batch.timer);
    handle.batch = undefined;
    handle.state = 'idle';
    this.running--;
    if (handle.retiring || this.stopped) this.stop(handle);
    else this.makeIdle(handle);
    batch.done(outcomes, performance.now() - batch.started);
  }

  /** The worker died on its own (exit, error event, uncaught error). */
  private onDeath(handle: WorkerHandle, reason: string, cause?: unknown): void {
    if (handle.state === 'gone') return;
    if (handle.state === 'starting') {
      this.startFailed(handle, cause ?? new Error(`it ${reason} before calling exposeTasks()`));
      return;
    }
    if ((cause as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') reason = 'ran out of memory (its resourceLimits)';
    this.replace(handle, handle.batch, (job) => new WorkerCrashedError(job.id, reason, cause, handle.number));
  }

  /** @internal Ends a running batch now with `errorFor(job)`: terminates its worker and starts another. */
  replaceBusy(handle: WorkerHandle, batch: Batch, errorFor: (job: Job) => Error): void {
    if (handle.state !== 'busy' || handle.batch !== batch) return;
    this.replace(handle, batch, errorFor);
  }

  /** Takes a worker out of service for good, starts its replacement, and ends its batch with `errorFor(job)`. */
  private replace(handle: WorkerHandle, batch: Batch | undefined, errorFor: (job: Job) => Error): void {
    const wasRetiring = handle.retiring;
    this.stop(handle);
    if (!wasRetiring) {
      this.live--;
      if (!this.stopped) this.spawn();
    }
    if (batch) batch.done(failAll(batch.jobs, errorFor), performance.now() - batch.started);
    else this.host.wake();
  }

  private startFailed(handle: WorkerHandle, cause: unknown): void {
    if (handle.state === 'gone') return;
    const error = new WorkerStartError(this.source.file ?? fileFromStack(cause) ?? 'from the worker factory', cause);
    handle.settleStart(error);
    const wasRetiring = handle.retiring;
    this.stop(handle);
    if (!wasRetiring) this.live--;
    if (this.stopped) return;
    // Every worker runs the same module: when one cannot start, none will. Fail fast rather than respawn.
    this.failure = error;
    this.host.fail(error);
    void this.shutdown(() => error);
  }

  /** Takes a worker out of service and terminates it. */
  private stop(handle: WorkerHandle): void {
    if (handle.state === 'gone') return;
    if (handle.state === 'busy' && handle.batch) this.running--;
    if (handle.state === 'idle') {
      const at = this.idle.indexOf(handle);
      if (at !== -1) this.idle.splice(at, 1);
    }
    handle.state = 'gone';
    clearTimeout(handle.batch?.timer);
    handle.batch = undefined;
    clearTimeout(handle.idleTimer);
    this.handles.delete(handle);
    handle.settleStart();
    const worker = handle.worker;
    if (!worker) {
      handle.markExited();
      return;
    }
    // threads.js's spawn keeps a 10 s timer until an init message arrives, even for a dead worker:
    // answer in the worker's place so the timer is cleared (the thread spawn then returns is ignored).
    if (handle.spawnPending) handle.releaseSpawn();
    // terminate() can itself hang: stop waiting after a while and move on.
    const limit = setTimeout(handle.markExited, this.options.terminateTimeout);
    limit.unref?.();
    Promise.resolve()
      .then(() => worker.terminate())
      .then(handle.markExited, handle.markExited)
      .finally(() => clearTimeout(limit));
  }
}

function remoteError(serialized: SerializedError | undefined): Error {
  const error = new Error(serialized?.message ?? 'unknown error');
  error.name = serialized?.name ?? 'Error';
  if (serialized?.stack) error.stack = serialized.stack;
  return error;
}

/** The first file named in an error's stack or message (for a factory-made worker, whose file we are not told). */
function fileFromStack(cause: unknown): string | undefined {
  if (!isErrorLike(cause)) return undefined;
  const match = /(\/[^\s:'"()]+\.[cm]?[jt]sx?)\b/.exec(`${cause.message}\n${cause.stack ?? ''}`);
  return match?.[1];
}
