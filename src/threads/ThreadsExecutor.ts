/**
 * The threads.js executor: a slot is one batch's place in a worker thread
 * (spawned with threads.js `spawn`); a worker runs up to `tasksPerWorker`
 * batches at once (default 1), and each batch goes to the least-loaded
 * worker.
 *
 * It watches each worker's native `error` and `exit` events and threads.js's
 * raw `uncaughtError` message, so a request never waits on a dead worker: a
 * worker that dies mid-request is replaced and its requests end with
 * `WorkerCrashedError`. A worker that cannot start fails the pool at once
 * with `WorkerStartError`, instead of threads.js's 10-second init timeout.
 *
 * @module
 */
import {
  DataCloneError,
  errorFromRemote,
  type FailureError,
  InvalidOptionError,
  PoolClosedError,
  ProtocolError,
  TaskCancelledError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerStartError,
} from '../errors.js';
import { type BatchOutcomes, type Done, type Executor, type ExecutorHost, failAll, type Job, type RunLimits, type RunningBatch } from '../executor.js';
import { DONE, type DoneMessage, doneProblem, encodeRun, isProgressFor, PROGRESS, type ProgressMessage } from './messages.js';
import { decodeFailure, isCloneable, isErrorLike, isSerializedError, type SerializedError } from '../wire.js';
import type { Transferable } from '../transfer.js';
import { transferProblem } from '../transferChecks.js';
import { type SpawnedThread, threadsMaster } from './threadsMaster.js';
import type { ResolvedSource, WorkerPort } from './workerSource.js';

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

/**
 * A batch the scheduler handed a worker. It travels in one run message (one
 * part), or, when that message cannot be posted, in one part per request, so
 * that a request whose data cannot be sent fails alone. It ends when every
 * part has answered.
 */
interface Batch {
  readonly jobs: readonly Job[];
  readonly done: Done;
  readonly started: number;
  /** Outcomes gathered from the parts (and refusals made before sending). */
  readonly values: unknown[];
  errors: (FailureError | undefined)[] | undefined;
  /** Parts posted and not yet answered. */
  partsLeft: number;
  /** Requests posted (for scaling the worker's time to the batch). */
  sent: number;
  /** The worker's own time over the parts that answered (ms), when it reported one. */
  workMs: number | undefined;
  /** When it travels in several parts (or some requests were refused): which requests already have their outcome. */
  answered?: boolean[];
  /** The batch's timeout. */
  timer?: ReturnType<typeof setTimeout>;
  /** Receives progress by position in `jobs`. */
  progress?: (at: number, value: unknown) => void;
}

/** One run message in flight: its batch, and the positions in the batch of the requests it carries (all, in order, when absent). */
interface Part {
  readonly batch: Batch;
  readonly positions: readonly number[] | undefined;
}

/** Wire ids of run messages: each reply names the message it answers. */
let lastPartId = 0;

type State = 'starting' | 'idle' | 'busy' | 'gone';

class WorkerHandle {
  state: State = 'starting';
  /** Dismissed: takes no new batch, exits after the current one. */
  retiring = false;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  worker: WorkerPort | undefined;
  thread: SpawnedThread | undefined;
  spawnPending = false;
  releaseSpawn: () => void = () => undefined;
  /** The batches running in it (at most `tasksPerWorker`). */
  batches: Batch[] = [];
  /** Its run messages not yet answered, by wire id. */
  readonly parts = new Map<number, Part>();
  /** When its start began (`performance.now()`): its setup gets what is left of `startTimeout`. */
  spawnedAt = 0;
  /** Requests this worker has run (for `maxTasksPerWorker`). */
  ran = 0;
  /** Past `maxTasksPerWorker` or `maxHeapPerWorker`: replaced after its batch. */
  recycle = false;
  readonly exited: Promise<void>;
  markExited!: () => void;
  readonly started: Promise<void>;
  settleStart!: (error?: Error) => void;

  constructor(
    /** A number for messages: the pool's workers counted in start order (1, 2, …). */
    readonly number: number,
  ) {
    this.exited = new Promise<void>((resolve) => (this.markExited = resolve));
    this.started = new Promise<void>((resolve, reject) => {
      this.settleStart = (error) => (error ? reject(error) : resolve());
    });
    this.started.catch(() => undefined);
  }
}

/**
 * The most worker threads one pool runs (`size`, and `createWorkers` on top
 * of the live ones): each costs a V8 isolate (10 MB and more), and a pool
 * asked for millions would start threads until the process died.
 */
export const MAX_WORKERS = 1024;

/** Options of {@link ThreadsExecutor}. */
export interface ThreadsExecutorOptions {
  readonly size: number;
  /** How long a worker may take to call `exposeTasks()`, in ms. */
  readonly startTimeout: number;
  /** How long an idle worker waits before it exits (its slot stays, and starts a thread again on demand), in ms. */
  readonly idleTimeout?: number;
  /** How long terminating a worker may take before the pool stops waiting for it (terminate can hang), in ms. */
  readonly terminateTimeout: number;
  /** Replace a worker, between batches, once it has run this many requests. */
  readonly maxTasksPerWorker?: number;
  /** Replace a worker, between batches, once its V8 heap in use exceeds this many bytes. */
  readonly maxHeapPerWorker?: number;
  /** Batches a worker runs at once (for async tasks that wait on I/O). Default 1. */
  readonly tasksPerWorker?: number;
}

/** Runs batches on threads.js workers. */
export class ThreadsExecutor implements Executor {
  private host!: ExecutorHost;
  /**
   * Idle workers are unref'd and busy or starting ones are not, so requests
   * keep the process alive while a worker is live; with none (all
   * dismissed), the scheduler holds it while requests wait.
   */
  readonly holdWhileQueued = true;
  private readonly handles = new Set<WorkerHandle>();
  /** Started workers with room for another batch (for `tasksPerWorker` 1: the idle ones). */
  private readonly idle: WorkerHandle[] = [];
  private readonly perWorker: number;
  private live = 0;
  /** A worker set aside, out of `idle`, to empty for a batch that must run alone (see `takeEmpty`). */
  private reserved: WorkerHandle | undefined;
  /** Slots whose idle worker exited after `idleTimeout`: a thread starts again when work comes. */
  private dormant = 0;
  private running = 0;
  private stopped = false;
  private failure: WorkerStartError | undefined;
  /** The last number given to a worker of this pool. */
  private lastWorkerNumber = 0;
  private names: readonly string[] | undefined;
  ready!: Promise<void>;

  constructor(
    private readonly source: ResolvedSource,
    private readonly options: ThreadsExecutorOptions,
  ) {
    this.perWorker = options.tasksPerWorker ?? 1;
  }

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

  start(jobs: readonly Job[], done: Done, limits: RunLimits | undefined, alone: boolean): RunningBatch | undefined {
    const handle = this.perWorker === 1 ? this.idle.pop() : alone ? this.takeEmpty() : this.leastLoaded();
    if (handle) {
      if (handle.batches.length === 0) {
        handle.state = 'busy';
        this.running++;
        clearTimeout(handle.idleTimer);
        (handle.worker as Partial<Refable>).ref?.();
      }
      const batch: Batch = {
        jobs,
        done,
        started: performance.now(),
        values: new Array<unknown>(jobs.length),
        errors: undefined,
        partsLeft: 0,
        sent: 0,
        workMs: undefined,
      };
      if (limits?.progress) batch.progress = limits.progress;
      if (limits?.timeout !== undefined) {
        const timeout = limits.timeout;
        batch.timer = setTimeout(() => this.replaceBusy(handle, batch, (job) => new TaskTimeoutError(job.task, job.id, timeout, handle.number)), timeout);
      }
      this.send(handle, batch);
      return { cancel: () => this.replaceBusy(handle, batch, (job) => new TaskCancelledError(job.id, handle.number)) };
    }
    if (this.dormant > 0 && !this.stopped) {
      // Work is waiting and a slot has no thread: start one (it wakes the scheduler when ready).
      this.dormant--;
      this.spawn();
    }
    return undefined;
  }

  /**
   * A started worker running nothing, for a batch that must run alone on it
   * (taken out of `idle`, so no other batch joins it). When every worker is
   * busy, the least-loaded one is set aside for it: it takes no new batch,
   * so it empties while the others go on working, and the next `start`
   * for a batch alone gets it.
   */
  private takeEmpty(): WorkerHandle | undefined {
    const reserved = this.reserved;
    if (reserved?.batches.length === 0) {
      this.reserved = undefined;
      return reserved;
    }
    const at = this.idle.findIndex((handle) => handle.batches.length === 0);
    if (at !== -1) return this.idle.splice(at, 1)[0];
    if (!reserved && this.idle.length > 0) {
      let least = 0;
      for (let i = 1; i < this.idle.length; i++) if (this.idle[i].batches.length < this.idle[least].batches.length) least = i;
      this.reserved = this.idle.splice(least, 1)[0];
    }
    return undefined;
  }

  /** The worker with room and the fewest batches running, taken out of `idle` when this fills it. */
  private leastLoaded(): WorkerHandle | undefined {
    let at = -1;
    for (let i = 0; i < this.idle.length; i++) if (at === -1 || this.idle[i].batches.length < this.idle[at].batches.length) at = i;
    if (at === -1) return undefined;
    const handle = this.idle[at];
    // The batch about to be sent fills it: no more room.
    if (handle.batches.length + 1 >= this.perWorker) this.idle.splice(at, 1);
    return handle;
  }

  /** A worker with nothing to do: it does not keep the process alive, and exits after `idleTimeout`. */
  private makeIdle(handle: WorkerHandle): void {
    if (handle !== this.reserved && !this.idle.includes(handle)) this.idle.push(handle);
    if (handle.batches.length > 0) return;
    (handle.worker as Partial<Refable>).unref?.();
    const { idleTimeout } = this.options;
    if (idleTimeout === undefined) return;
    handle.idleTimer = setTimeout(() => {
      if (handle.state !== 'idle' || handle.retiring) return;
      this.live--;
      this.dormant++;
      this.stop(handle, true);
    }, idleTimeout);
    handle.idleTimer.unref?.();
  }

  createWorkers(n: number): Promise<void> {
    if (this.capacity + n > MAX_WORKERS)
      throw new InvalidOptionError('createWorkers(n)', n, `at most ${MAX_WORKERS - this.capacity} more workers (a pool runs at most ${MAX_WORKERS})`);
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
      const idleOnes = this.reserved?.batches.length === 0 ? [this.reserved, ...this.idle] : this.idle;
      for (const handle of state === 'idle' ? [...idleOnes].reverse() : this.handles) {
        if (victims.length === n) break;
        if (handle.state === state && !handle.retiring) victims.push(handle);
      }
    }
    for (const handle of victims) {
      handle.retiring = true;
      this.live--;
      // A busy one (with tasksPerWorker > 1) takes no further batch while it finishes.
      this.dropIdle(handle);
      if (this.reserved === handle) this.reserved = undefined;
      if (handle.state !== 'busy') this.stop(handle, true);
    }
    this.host.wake();
    return { count: asleep + victims.length, gone: Promise.all(victims.map((handle) => handle.exited)).then(() => undefined) };
  }

  close(): Promise<void> {
    return this.shutdown((job) => new PoolClosedError(job.id));
  }

  /** Terminates every worker; running requests end with `errorFor(job)`. */
  private shutdown(errorFor: (job: Job) => FailureError): Promise<void> {
    this.stopped = true;
    this.idle.length = 0;
    this.dormant = 0;
    const exits: Promise<void>[] = [];
    for (const handle of [...this.handles]) {
      // A worker still starting never will: what waits for it (`ready`, `createWorkers`) learns why.
      if (handle.state === 'starting') handle.settleStart(this.failure ?? new PoolClosedError());
      const batches = handle.batches;
      this.stop(handle, true);
      exits.push(handle.exited);
      for (const batch of batches) batch.done(this.endEarly(batch, errorFor), performance.now() - batch.started);
    }
    this.live = 0;
    return Promise.all(exits).then(() => undefined);
  }

  /**
   * Sends a batch to a worker that `start` chose. A request
   * whose transfer list cannot be moved fails alone before anything is
   * posted; when the message cannot be posted at all, each request is posted
   * alone, so one that cannot be sent fails alone and its batch-mates run.
   */
  private send(handle: WorkerHandle, batch: Batch): void {
    handle.batches.push(batch);
    const jobs = batch.jobs;
    for (let i = 0; i < jobs.length; i++) {
      const list = jobs[i].transfer;
      const problem = list && transferProblem(list);
      if (problem) this.refuse(batch, i, new DataCloneError(jobs[i].id, 'arguments', problem));
    }
    const refused = batch.errors;
    const positions = refused ? jobs.flatMap((_, i) => (refused[i] ? [] : [i])) : undefined;
    if (positions?.length === 0) {
      this.partAnswered(handle, batch);
      return;
    }
    const failure = this.post(handle, batch, positions);
    if (!failure) return;
    const all = positions ?? jobs.map((_, i) => i);
    // Posted again in groups: one per request, but requests that share a transferable travel together (a
    // group posted first would move it away from the others, and Node drops a message naming a moved buffer).
    const groups = all.length === 1 ? [all] : groupsBySharedTransfer(jobs, all);
    for (const group of groups) {
      const again = groups.length === 1 ? failure : this.post(handle, batch, group);
      if (again) for (const at of group) this.refuse(batch, at, cloneError(jobs[at], again.error));
    }
    if (batch.partsLeft === 0) this.partAnswered(handle, batch);
  }

  /** Posts the requests at `positions` of a batch (all when absent) as one run message; what it threw when it could not. */
  private post(handle: WorkerHandle, batch: Batch, positions: readonly number[] | undefined): { readonly error: unknown } | undefined {
    const jobs = positions ? positions.map((at) => batch.jobs[at]) : batch.jobs;
    // A buffer that several requests of the message share moves once (a list naming it twice is refused).
    let transfer: Transferable[] | undefined;
    for (const job of jobs) {
      if (!job.transfer) continue;
      transfer ??= [];
      for (const item of job.transfer) if (!transfer.includes(item)) transfer.push(item);
    }
    const id = ++lastPartId;
    try {
      (handle.worker as WorkerPort).postMessage(encodeRun(id, jobs, this.flags(batch)), transfer);
    } catch (error) {
      return { error };
    }
    handle.parts.set(id, { batch, positions });
    if (positions) batch.answered ??= new Array<boolean>(batch.jobs.length).fill(false);
    batch.partsLeft++;
    batch.sent += jobs.length;
    return undefined;
  }

  /** A request of the batch ends with `error` (without running, or as its part's answer). */
  private refuse(batch: Batch, at: number, error: FailureError): void {
    (batch.errors ??= new Array<FailureError | undefined>(batch.jobs.length))[at] = error;
    (batch.answered ??= new Array<boolean>(batch.jobs.length).fill(false))[at] = true;
  }

  /**
   * A batch ended early (its worker died, timed out, was cancelled or the
   * pool closed): the requests still waiting end with `errorFor(job)`; those
   * whose part had already answered keep their outcome.
   */
  private endEarly(batch: Batch, errorFor: (job: Job) => FailureError): BatchOutcomes {
    const { answered } = batch;
    if (!answered) return failAll(batch.jobs, errorFor);
    return { values: batch.values, errors: batch.jobs.map((job, i) => (answered[i] ? batch.errors?.[i] : errorFor(job))) };
  }

  private flags(batch: Batch): { progress?: true; memory?: true } | undefined {
    const memory = this.options.maxHeapPerWorker !== undefined;
    if (!batch.progress && !memory) return undefined;
    return { ...(batch.progress ? { progress: true } : {}), ...(memory ? { memory: true } : {}) };
  }

  private spawn(): WorkerHandle {
    const handle = new WorkerHandle(++this.lastWorkerNumber);
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
    handle.spawnedAt = performance.now();
    threadsMaster()
      .spawn(this.facadeFor(handle, worker), { timeout: this.options.startTimeout })
      .then(
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
    // tasks() answers once the module's setup has finished: it gets what is left of the start timeout.
    const { startTimeout } = this.options;
    const left = Math.max(0, startTimeout - (performance.now() - handle.spawnedAt));
    const timer = setTimeout(() => this.startFailed(handle, new Error(`its setup did not finish within startTimeout (${startTimeout} ms)`)), left);
    ready.tasks().then(
      (names) => {
        clearTimeout(timer);
        if (handle.state !== 'starting') return;
        this.names ??= names;
        handle.thread = ready;
        handle.state = 'idle';
        handle.settleStart();
        if (handle.retiring) {
          this.stop(handle, true);
        } else {
          this.makeIdle(handle);
          this.host.wake();
        }
      },
      (error: unknown) => {
        clearTimeout(timer);
        this.startFailed(handle, error);
      },
    );
  }

  private onMessage(handle: WorkerHandle, data: unknown): void {
    const message = data as (Partial<DoneMessage> & { type?: unknown; error?: unknown }) | null;
    if (typeof message !== 'object' || message === null) return;
    if (message.type === DONE) {
      const part = typeof message.batch === 'number' ? handle.parts.get(message.batch) : undefined;
      if (part) this.onReply(handle, message.batch as number, part, message as DoneMessage);
      return;
    }
    if (message.type === PROGRESS) {
      const part = typeof message.batch === 'number' ? handle.parts.get(message.batch) : undefined;
      const progress = message as unknown as ProgressMessage;
      if (!part?.batch.progress || !isProgressFor(progress, part.positions?.length ?? part.batch.jobs.length)) return;
      part.batch.progress(part.positions ? part.positions[progress.at] : progress.at, progress.value);
      return;
    }
    if (message.type !== 'uncaughtError') return;
    // threads.js keeps a worker alive after an uncaught exception or rejection and reports it here.
    const error = errorFromRemote(isSerializedError(message.error) ? message.error : unknownError);
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
      this.replace(handle, undefined, (job) => new WorkerCrashedError(job.id, 'threw an uncaught error outside its task', error, handle.number));
      return;
    }
    if (handle.retiring) return;
    handle.retiring = true;
    this.live--;
    // Neither starting, gone nor busy: idle.
    this.stop(handle);
    if (!this.stopped) this.spawn();
    this.host.wake();
  }

  /**
   * A part of a batch answered. The reply is checked first: a malformed one
   * (a module posting its own messages under our tag, or a broken worker)
   * fails the part's requests with `ProtocolError`, and the worker, which
   * can no longer be trusted, is replaced once its other work is done.
   */
  private onReply(handle: WorkerHandle, id: number, part: Part, message: DoneMessage): void {
    const { batch, positions } = part;
    handle.parts.delete(id);
    batch.partsLeft--;
    const { jobs } = batch;
    const count = positions ? positions.length : jobs.length;
    const problem =
      message.refused === undefined ? doneProblem(message, count) : `${typeof message.refused === 'string' ? message.refused : 'no reason given'}`;
    const position = (at: number): number => (positions ? positions[at] : at);
    if (problem) {
      for (let at = 0; at < count; at++)
        this.refuse(batch, position(at), new ProtocolError('thread', problem, jobs[position(at)].id, message.refused !== undefined));
      handle.recycle = true;
      this.dropIdle(handle);
    } else {
      const { values, failures, heapUsed, ms } = message;
      const { maxHeapPerWorker } = this.options;
      if (maxHeapPerWorker !== undefined && heapUsed !== undefined && heapUsed > maxHeapPerWorker) {
        handle.recycle = true;
        this.dropIdle(handle);
      }
      if (positions) for (let at = 0; at < count; at++) batch.values[positions[at]] = values[at];
      else for (let at = 0; at < count; at++) batch.values[at] = values[at];
      if (batch.answered) for (let at = 0; at < count; at++) batch.answered[position(at)] = true;
      for (const failure of failures ?? []) {
        const i = position(failure.at);
        this.refuse(batch, i, decodeFailure(jobs[i], failure, handle.number));
      }
      if (ms !== undefined) batch.workMs = (batch.workMs ?? 0) + ms;
    }
    if (batch.partsLeft === 0) this.partAnswered(handle, batch);
  }

  /** Ends the batch once every part has answered (or none could be posted). */
  private partAnswered(handle: WorkerHandle, batch: Batch): void {
    if (batch.partsLeft > 0) return;
    const { jobs, values, errors, workMs, sent } = batch;
    // The worker's time covers the requests it was sent: scaled to the batch, so the per-request figure is theirs.
    const scaled = workMs !== undefined && sent > 0 ? (workMs * jobs.length) / sent : undefined;
    this.finishBatch(handle, batch, errors ? { values, errors } : { values }, scaled);
  }

  private finishBatch(handle: WorkerHandle, batch: Batch, outcomes: BatchOutcomes, workMs?: number): void {
    clearTimeout(batch.timer);
    handle.batches.splice(handle.batches.indexOf(batch), 1);
    handle.ran += batch.jobs.length;
    const { maxTasksPerWorker } = this.options;
    if (maxTasksPerWorker !== undefined && handle.ran >= maxTasksPerWorker) handle.recycle = true;
    if (handle.batches.length > 0) {
      // Others still run in it: it has room again, unless it is to go once they are done.
      if (!handle.retiring && !handle.recycle && !this.stopped) this.makeIdle(handle);
      else this.dropIdle(handle);
      batch.done(outcomes, performance.now() - batch.started, workMs);
      return;
    }
    handle.state = 'idle';
    this.running--;
    if (handle.retiring || this.stopped) {
      this.stop(handle, true);
    } else if (handle.recycle) {
      // Recycled between batches: a fresh worker takes its place, and no request notices.
      handle.retiring = true;
      this.live--;
      this.stop(handle, true);
      this.spawn();
    } else {
      this.makeIdle(handle);
    }
    batch.done(outcomes, performance.now() - batch.started, workMs);
    if (this.reserved === handle) {
      // Set aside for a rerun, and now empty: the scheduler claims it now, or (its lane was closed, say)
      // it goes back to serving everyone.
      this.host.wake();
      if (this.reserved === handle && handle.state === 'idle') {
        this.reserved = undefined;
        this.makeIdle(handle);
        this.host.wake();
      }
    }
  }

  /** The worker died on its own (exit, error event, uncaught error). */
  private onDeath(handle: WorkerHandle, reason: string, cause?: unknown): void {
    if (handle.state === 'gone') return;
    if (handle.state === 'starting') {
      this.startFailed(handle, cause ?? new Error(`it ${reason} before calling exposeTasks()`));
      return;
    }
    if (codeOf(cause) === 'ERR_WORKER_OUT_OF_MEMORY') reason = 'ran out of memory (its resourceLimits)';
    this.replace(handle, undefined, (job) => new WorkerCrashedError(job.id, reason, cause, handle.number));
  }

  /**
   * @internal Ends a running batch now with `errorFor(job)`: terminates its
   * worker and starts another. Other batches running in the same worker
   * (with `tasksPerWorker` > 1) end as crashed, so they are rerun.
   */
  private replaceBusy(handle: WorkerHandle, batch: Batch, errorFor: (job: Job) => FailureError): void {
    if (handle.state !== 'busy' || !handle.batches.includes(batch)) return;
    this.replace(handle, batch, errorFor);
  }

  /**
   * Takes a worker out of service for good and starts its replacement. Its
   * batches end: `batch` (or, when none is named, every one) with
   * `errorFor(job)`, the others as crashed.
   */
  private replace(handle: WorkerHandle, batch: Batch | undefined, errorFor: (job: Job) => FailureError): void {
    const wasRetiring = handle.retiring;
    const batches = handle.batches;
    this.stop(handle);
    if (!wasRetiring) {
      this.live--;
      if (!this.stopped) this.spawn();
    }
    if (batches.length === 0) {
      this.host.wake();
      return;
    }
    const now = performance.now();
    for (const each of batches) {
      const fail =
        batch === undefined || each === batch
          ? errorFor
          : (job: Job) =>
              new WorkerCrashedError(job.id, 'was terminated because another request running in it timed out or was cancelled', undefined, handle.number);
      each.done(this.endEarly(each, fail), now - each.started);
    }
  }

  private startFailed(handle: WorkerHandle, cause: unknown): void {
    if (handle.state === 'gone') return;
    const error = new WorkerStartError(this.source.file ?? fileFromMessage(cause) ?? FACTORY, cause);
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

  private dropIdle(handle: WorkerHandle): void {
    const at = this.idle.indexOf(handle);
    if (at !== -1) this.idle.splice(at, 1);
  }

  /** Takes a worker out of service and terminates it. */
  private stop(handle: WorkerHandle, graceful = false): void {
    if (handle.state === 'gone') return;
    // Only an idle worker is torn down: a busy one is mid-task, a crashed or stuck one cannot be trusted.
    const teardown = graceful && handle.state === 'idle' ? handle.thread?.teardown : undefined;
    if (handle.state === 'busy') this.running--;
    this.dropIdle(handle);
    if (this.reserved === handle) this.reserved = undefined;
    handle.state = 'gone';
    for (const batch of handle.batches) clearTimeout(batch.timer);
    handle.batches = [];
    handle.parts.clear();
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
    const limit = this.options.terminateTimeout;
    if (teardown) (worker as Partial<Refable>).ref?.();
    // teardown() and terminate() can each hang: stop waiting after `terminateTimeout` and move on.
    void (async () => {
      if (teardown) {
        await bounded(
          Promise.resolve().then(() => teardown()),
          limit,
        ).catch((error: unknown) => {
          if (typeof process === 'object') process.emitWarning(`rxjs-threadpool: teardown of worker #${handle.number} failed: ${String(error)}`);
        });
      }
      await bounded(
        Promise.resolve().then(() => worker.terminate()),
        limit,
      ).catch(() => undefined);
    })().finally(handle.markExited);
  }
}

/** Settles with `work`, or resolves after `ms` if it has not settled by then. */
function bounded(work: Promise<unknown>, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * The requests at `positions`, in groups that share no transferable: each
 * request alone, except those whose transfer lists name a common item.
 */
function groupsBySharedTransfer(jobs: readonly Job[], positions: readonly number[]): number[][] {
  const groupOf = new Map<Transferable, number[]>();
  const groups: number[][] = [];
  for (const at of positions) {
    let group: number[] | undefined;
    for (const item of jobs[at].transfer ?? []) {
      const other = groupOf.get(item);
      if (!other || other === group) continue;
      if (!group) {
        group = other;
        continue;
      }
      // Two groups meet in this request: merge the later into the earlier.
      const [keep, gone] = groups.indexOf(other) < groups.indexOf(group) ? [other, group] : [group, other];
      keep.push(...gone);
      groups.splice(groups.indexOf(gone), 1);
      for (const [key, value] of groupOf) if (value === gone) groupOf.set(key, keep);
      group = keep;
    }
    if (!group) {
      group = [];
      groups.push(group);
    }
    group.push(at);
    for (const item of jobs[at].transfer ?? []) groupOf.set(item, group);
  }
  for (const group of groups) group.sort((a, b) => a - b);
  return groups;
}

/** A request's arguments could not be posted: a `DataCloneError` naming the first argument that cannot be cloned, when one cannot. */
function cloneError(job: Job, error: unknown): DataCloneError {
  const position = job.transfer ? -1 : job.args.findIndex((arg) => !isCloneable(arg));
  return new DataCloneError(job.id, 'arguments', error, position === -1 ? undefined : position);
}

/** What a worker sent without an error. */
const unknownError: SerializedError = { name: 'Error', message: 'unknown error' };

/** An error's `code`, read without trusting the error (a factory's worker may emit a revoked proxy, or a getter that throws). */
function codeOf(cause: unknown): unknown {
  try {
    return (cause as { code?: unknown } | undefined)?.code;
  } catch {
    return undefined;
  }
}

/** How a start error names a worker made by a factory whose error names no file of the user's. */
const FACTORY = '(from the worker factory)';

/**
 * The first file an error's message names that is not a file of threads.js
 * or of this library: for a factory-made worker, whose file we are not told,
 * the path the factory was given (`Cannot find module '/app/x.worker.js'`).
 * Never the stack: its first frames are the library's own.
 */
function fileFromMessage(cause: unknown): string | undefined {
  let message: string;
  try {
    if (!isErrorLike(cause)) return undefined;
    message = cause.message;
  } catch {
    return undefined;
  }
  for (const [, file] of message.matchAll(/(\/[^\s:'"()]+\.[cm]?[jt]sx?)\b/g)) {
    if (!/[\\/]node_modules[\\/](threads|rxjs-threadpool)[\\/]|[\\/]dist[\\/](cjs|esm)[\\/]src[\\/]/.test(file)) return file;
  }
  return undefined;
}
