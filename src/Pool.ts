/**
 * The pool: a scheduler in front of an executor, with the controls a user
 * needs (resize, stats, close). `createPool` builds one on worker threads
 * or child processes; `createVirtualPool` (from `rxjs-threadpool/marbles`) on virtual
 * time. Both dispatch through the same {@link Scheduler}.
 *
 * @module
 */
import { defer, finalize, type Observable, startWith, Subject, type Subscription } from 'rxjs';
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTimeout } from './checks.js';
import { InvalidOptionError, PoolClosedError, TaskCancelledError, UnknownTaskError } from './errors.js';
import type { PoolEvent } from './events.js';
import type { Executor, StreamSupport } from './executor.js';
import { Scheduler, type SizeRange } from './scheduler/dispatch.js';
import { checkSize, type PoolSize } from './poolSize.js';
import { reportUnhandled } from './unhandled.js';
import type { Deliver, Pipeline, PipelineOptions } from './scheduler/pipeline.js';
import { workRequest } from './requests.js';
import type { TaskArgs, TaskMap, TaskName, TaskResult } from './tasks.js';
import type { PipelineStats, PoolStats } from './poolStats.js';
import { SampleWindow } from './timing.js';

const noSamples = new SampleWindow();

/**
 * Options of {@link Pool.dismissWorkers}.
 *
 * @category Pools
 */
export interface DismissOptions {
  /** Wait until the dismissed workers have finished their current request and exited. Default `false`. */
  readonly join?: boolean;
}

/**
 * Options of {@link Pool.close}.
 *
 * @category Pools
 */
export interface CloseOptions {
  /**
   * Let the work in hand finish first: new requests end with
   * `PoolClosedError` at once, while queued and running ones run to their
   * outcomes (a request whose worker crashes is still rerun); then the
   * workers are terminated. Default `false`: queued and running requests
   * end with `PoolClosedError` at once.
   */
  readonly drain?: boolean;
  /**
   * With `drain`: the most ms the drain may take. Past it the requests
   * still queued or running end with `PoolClosedError` and the workers are
   * terminated, as by a plain `close()`. Default: no limit.
   */
  readonly timeout?: number;
}

/**
 * `pool[Symbol.asyncDispose]()`, which closes the pool as `close()` does:
 * `await using pool = createPool(...)` closes it at the end of the block.
 * Typed where the program's types know `Symbol.asyncDispose` (TypeScript's
 * `esnext.disposable` library, or `@types/node`); elsewhere it adds nothing,
 * so a program without them still type-checks.
 *
 * @category Pools
 */
export type AsyncDisposal = SymbolConstructor extends { readonly asyncDispose: infer S extends symbol }
  ? {
      /** Closes the pool, as `close()` does. */
      readonly [K in S]: () => Promise<void>;
    }
  : object;

/** @internal What a pool adds to its executor, checked by the function that builds it. */
export interface PoolSetup {
  /** Options every pipeline gets unless it sets its own (the pool's `taskTimeout`). */
  readonly defaults?: Pick<PipelineOptions, 'timeout' | 'cancelGrace'>;
  /** The most requests queued over every pipeline. */
  readonly maxQueue?: number;
  /** The least and most workers; none for a pool whose executor's capacity is not its own to size (a queue's hosts). */
  readonly range?: SizeRange;
  /** The most workers `resize` may ask for. */
  readonly most?: number;
  /** The sizes to follow (`size` as an Observable): the executor starts with none, and each value resizes the pool. */
  readonly size$?: Observable<PoolSize>;
}

declare const taskTypes: unique symbol;

/** Adds {@link AsyncDisposal} to every pool (a class cannot name a symbol its program's types may not have). */
export interface Pool<T extends TaskMap = TaskMap> extends AsyncDisposal {}

/**
 * A pool of workers that run the tasks of one worker module.
 *
 * `T` is the module's task map (`typeof tasks` from `exposeTasks`), which
 * types `poolMap`'s task names, arguments and results.
 *
 * Made by `createPool` (worker threads or child processes) or `createVirtualPool` (virtual
 * time, for marble tests); several pipelines may share one pool.
 *
 * @example
 * ```ts
 * const pool = createPool<Tasks>(new URL('./primes.worker.js', import.meta.url), { size: 4 });
 * pool.stats$.subscribe(({ busy, queued }) => console.log(`${busy} busy, ${queued} queued`));
 * await pool.createWorkers(2);        // 6 workers; running pipelines use them at once
 * // ...
 * await pool.close();
 * ```
 * @typeParam T - The worker module's task map.
 *
 * @category Pools
 */
export class Pool<T extends TaskMap = TaskMap> {
  /** Type-only (never set at run time): carries `T`, so TypeScript tells pools of different task maps apart. */
  declare readonly [taskTypes]?: T;
  private readonly scheduler: Scheduler;
  private readonly subject = new Subject<PoolStats>();
  private readonly eventSubject = new Subject<PoolEvent>();
  /** Requests queued or running at the last change, while `events$` is watched (for `drained`). */
  private lastPending = 0;
  private readonly dismissing = new Set<Promise<void>>();
  private watchers = 0;
  /**
   * The percentiles, utilization and workers' event-loop readings of the
   * last snapshot, and when they were computed (they cost a sort: at most
   * every 100 ms for `stats$`). Counters are always read live.
   */
  private timingCache:
    | { at: number; part: Pick<PoolStats, 'wait' | 'run' | 'utilization' | 'workerLoads'>; pipelines: Map<Pipeline, Pick<PipelineStats, 'wait' | 'run'>> }
    | undefined;
  /** Settles when the pool has closed: set by the first `close()`, drained or not. */
  private closing: Promise<void> | undefined;
  /** Settles when every worker has been terminated: set when the workers are told to stop (at once, or after a drain). */
  private terminating: Promise<void> | undefined;
  /** A drain's `timeout`. */
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** Ends a drain under way. */
  private endDrain: (() => void) | undefined;
  /** The size Observable's subscription, while the pool follows one. */
  private sizeSubscription: Subscription | undefined;
  /** Settles `ready` with the start of the size Observable's first value, until it came. */
  private firstSize: ((started: Promise<void>) => void) | undefined;

  /**
   * The pool's state, published after each change: `workers`, `busy`,
   * `queued`, `completed`, `failed`. Replays the latest snapshot to new
   * subscribers and completes when the pool is closed (read `stats` for the
   * last snapshot after that).
   */
  readonly stats$: Observable<PoolStats>;

  /**
   * What happens to the pool, as it happens: workers started, exited,
   * crashed, recycled (with the worker's number, and the reason and cause),
   * a queue full, the pool drained (nothing queued or running any more),
   * the pool closing and closed (see
   * {@link PoolEvent}). Hot: a subscriber sees what happens after it
   * subscribed. Nothing is made or kept while no one subscribes. Completes
   * after `closed`.
   *
   * @example
   * ```ts
   * pool.events$.subscribe((event) => {
   *   if (event.type === 'workerCrashed') console.error(`worker ${event.worker} crashed: ${event.reason}`);
   * });
   * ```
   */
  readonly events$: Observable<PoolEvent>;

  /**
   * Resolves when the first workers are ready. Rejects with
   * `WorkerStartError` when a worker cannot start, and with
   * `PoolClosedError` when the pool is closed before they are ready.
   * Requests need not wait for it (they are queued, and end with that error
   * if the workers never start).
   */
  readonly ready: Promise<void>;

  /**
   * @internal Use `createPool` or `createVirtualPool`.
   * @param setup - What the pool adds to its executor (checked by the caller): see {@link PoolSetup}.
   */
  constructor(
    private readonly executor: Executor,
    private readonly setup: PoolSetup = {},
  ) {
    const emit = (event: PoolEvent): void => this.eventSubject.next(event);
    this.scheduler = new Scheduler(
      executor,
      () => this.publish(),
      setup.maxQueue,
      () => (this.eventSubject.observed ? emit : undefined),
    );
    this.scheduler.range = setup.range;
    executor.attach(this.scheduler);
    // Snapshots are taken, and timings recorded, only while someone listens; a new subscriber gets a fresh snapshot first.
    this.stats$ = defer(() => {
      this.watchers++;
      this.scheduler.setTiming(true);
      return this.subject.pipe(
        startWith(this.stats),
        finalize(() => {
          if (--this.watchers === 0) this.scheduler.setTiming(false);
        }),
      );
    });
    this.events$ = defer(() => {
      this.lastPending = this.scheduler.pending;
      return this.eventSubject;
    });
    const size$ = setup.size$;
    if (size$) {
      // The first workers are those of the size's first value, whenever it comes.
      this.ready = new Promise<void>((resolve, reject) => (this.firstSize = (started) => started.then(resolve, reject)));
      this.sizeSubscription = size$.subscribe({
        next: (size) => this.followSize(size),
        error: (error: unknown) => reportUnhandled(error),
      });
    } else {
      this.ready = executor.ready;
    }
    // A start failure also reaches every request; `ready` must not crash the process when nobody awaits it.
    this.ready.catch(() => undefined);
  }

  /** A value of the size Observable: the pool resizes to it; one that is not a size is reported (as RxJS reports an unhandled error) and skipped. */
  private followSize(size: PoolSize): void {
    if (this.closing) return;
    let started: Promise<void>;
    try {
      started = this.resize(size);
    } catch (error) {
      reportUnhandled(error);
      return;
    }
    const first = this.firstSize;
    this.firstSize = undefined;
    if (first) first(started);
    // Nobody awaits a later value's workers: a start that fails fails the pool (every request learns why), and one cut short by close() needs no answer.
    else started.catch(() => undefined);
  }

  /**
   * Sizes the pool: `n` workers, or from `min` to `max` (see
   * {@link PoolSize}). Workers start at once up to the least size, and the
   * ones past the most are dismissed (idle first; a busy one finishes its
   * batch, then exits); running pipelines follow without resubscribing.
   * Idempotent: resizing to the size the pool has changes nothing.
   *
   * @example
   * ```ts
   * await pool.resize({ min: 1, max: 8 }); // grows while requests wait, back to 1 when idle
   * ```
   * @param size - The new size.
   * @returns A promise that resolves when the workers it started are ready;
   * it rejects with `PoolClosedError` after `close()`, and with
   * `WorkerStartError` when a worker cannot start.
   * @throws InvalidOptionError for a bad size, or on a queue pool (its hosts size it).
   */
  resize(size: PoolSize): Promise<void> {
    if (!this.scheduler.range) throw new InvalidOptionError('resize(size)', size, 'no size: a queue pool runs on its hosts, each sized by its own --threads');
    const range = checkSize('size', size, this.setup.most ?? Number.MAX_SAFE_INTEGER);
    if (this.closing) return Promise.reject(new PoolClosedError());
    this.scheduler.range = range;
    const live = this.executor.capacity;
    let started = Promise.resolve();
    if (live < range.min) started = this.executor.createWorkers(range.min - live);
    else if (live > range.max) this.track(this.executor.dismissWorkers(live - range.max).gone);
    // A larger most may take requests that wait now.
    this.scheduler.wake();
    this.publish();
    return started;
  }

  /** The current state (see {@link Pool.stats$}). */
  get stats(): PoolStats {
    return this.snapshot(0);
  }

  /** A snapshot whose percentiles and utilization may be up to `maxAge` ms old; its counters are live. */
  private snapshot(maxAge: number): PoolStats {
    const { scheduler } = this;
    const { queued } = scheduler;
    const { completed, failed } = scheduler.tally;
    const now = performance.now();
    if (!this.timingCache || now - this.timingCache.at > maxAge) {
      this.timingCache = {
        at: now,
        part: {
          wait: scheduler.timings.wait.summary(),
          run: scheduler.timings.run.summary(),
          utilization: scheduler.timing ? scheduler.busyTime.utilization(now, this.executor.capacity, scheduler.timingSince) : 0,
          workerLoads: this.executor.workerLoads?.() ?? [],
        },
        pipelines: new Map(),
      };
    }
    const cache = this.timingCache;
    const pipelines: PipelineStats[] = [];
    for (const pipeline of scheduler.pipelines) {
      let timing = cache.pipelines.get(pipeline);
      if (!timing) {
        timing = { wait: (pipeline.timings?.wait ?? noSamples).summary(), run: (pipeline.timings?.run ?? noSamples).summary() };
        cache.pipelines.set(pipeline, timing);
      }
      pipelines.push({
        name: pipeline.options.name ?? pipeline.task,
        priority: pipeline.priority,
        queued: pipeline.queued,
        running: pipeline.running,
        completed: pipeline.tally.completed,
        failed: pipeline.tally.failed,
        ...timing,
      });
    }
    return { workers: this.executor.capacity, busy: this.executor.busy, queued, completed, failed, ...cache.part, pipelines };
  }

  /** Live workers: the most requests that run at once. */
  get size(): number {
    return this.executor.capacity;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Adds `n` workers now, and raises the pool's least and most sizes by
   * `n` (see {@link PoolSize}). Running pipelines use them at once, without
   * resubscribing.
   *
   * @param n - How many workers to add (0 or more).
   * @returns A promise that resolves when they are ready; it rejects with
   * `PoolClosedError` after `close()` (or when the pool is closed before they
   * are ready), and with `WorkerStartError` when a worker cannot start.
   * @throws InvalidOptionError unless `n` is a non-negative integer.
   */
  createWorkers(n: number): Promise<void> {
    checkInteger('createWorkers(n)', n, 0);
    if (this.closing) return Promise.reject(new PoolClosedError());
    const started = this.executor.createWorkers(n);
    this.shiftRange(n);
    this.publish();
    return started;
  }

  /**
   * Removes up to `n` workers, idle ones first, and lowers the pool's least
   * and most sizes by `n` (not below 0). A busy worker finishes its current
   * request, takes no other, and exits. No request is lost.
   *
   * @param n - How many workers to remove (0 or more; more than there are removes them all).
   * @param options - `join`: wait for them to exit.
   * @returns A promise that resolves at once, or with `{ join: true }` when
   * the dismissed workers have exited.
   * @throws InvalidOptionError unless `n` is a non-negative integer.
   */
  dismissWorkers(n: number, options?: DismissOptions): Promise<void> {
    const given = checkOptionsObject('dismissWorkers options', options);
    checkKnownKeys('the dismissWorkers options', given, ['join'], { doJoin: 'join', do_join: 'join' });
    const { join = false } = given;
    const { gone } = this.dismiss(n);
    return join ? gone : Promise.resolve();
  }

  /** @internal Dismisses up to `n` workers; says how many, and when they are gone. */
  dismiss(n: number): { count: number; gone: Promise<void> } {
    checkInteger('dismissWorkers(n)', n, 0);
    this.shiftRange(-n);
    const dismissed = this.executor.dismissWorkers(n);
    this.track(dismissed.gone);
    this.publish();
    return dismissed;
  }

  /** Moves both bounds of the pool's size by `by` (between 0 and the most a pool runs), when it has a size of its own. */
  private shiftRange(by: number): void {
    const { range } = this.scheduler;
    const most = this.setup.most ?? Number.MAX_SAFE_INTEGER;
    const bound = (n: number): number => Math.min(most, Math.max(0, n + by));
    if (range) this.scheduler.range = { min: bound(range.min), max: bound(range.max) };
  }

  /** Workers on their way out: `joinAllDismissedWorkers` waits for them. */
  private track(gone: Promise<void>): void {
    this.dismissing.add(gone);
    void gone.finally(() => this.dismissing.delete(gone));
  }

  /**
   * Waits for every worker dismissed so far to exit.
   *
   * @returns A promise that resolves when they have.
   */
  joinAllDismissedWorkers(): Promise<void> {
    return Promise.all(this.dismissing).then(() => undefined);
  }

  /**
   * Closes the pool: every request made from now on ends with
   * `PoolClosedError`, the workers are terminated, and `stats$` completes.
   *
   * Plain `close()` ends the queued and running requests with
   * `PoolClosedError` at once. `close({ drain: true })` lets them finish
   * first (see {@link CloseOptions}); a later plain `close()` cuts the
   * drain short. A poolPipe's stream instances still open when the workers
   * stop end as on a crash, with one `PoolClosedError` outcome per key.
   *
   * @example
   * ```ts
   * // A container's shutdown: finish what was accepted (10 s at most), then exit.
   * process.once('SIGTERM', () => {
   *   void pool.close({ drain: true, timeout: 10_000 }).then(() => process.exit(0));
   * });
   * ```
   * @param options - `drain`, and its `timeout`.
   * @returns A promise that resolves when every worker has exited, those
   * that left before the close too (recycled, dismissed or retired, still
   * running their teardown) (the same promise on every call).
   * @throws InvalidOptionError for a bad option.
   */
  close(options?: CloseOptions): Promise<void> {
    const given = checkOptionsObject('close options', options);
    checkKnownKeys('the close options', given, ['drain', 'timeout'], {
      force: 'A plain close() is the forced one: close({ drain: true }) is the graceful one.',
      closeTimeout: 'timeout',
      graceful: 'drain',
    });
    const { drain = false, timeout } = given;
    if (typeof drain !== 'boolean') throw new InvalidOptionError('drain', drain, 'true or false');
    if (timeout !== undefined) {
      checkTimeout('timeout', timeout);
      if (!drain) throw new InvalidOptionError('timeout', timeout, 'no timeout without drain: true (a plain close() does not wait)');
    }
    if (!this.closing && this.eventSubject.observed) this.eventSubject.next({ type: 'closing', drain });
    if (!drain) {
      void this.terminate();
      return this.closing!;
    }
    if (!this.closing) {
      // Ends when nothing is pending, or when the workers are stopped before that (the timeout, a plain close()).
      const drained = new Promise<void>((resolve) => {
        this.endDrain = resolve;
        this.scheduler.drain(new PoolClosedError(), resolve);
      });
      if (timeout !== undefined) {
        this.drainTimer = setTimeout(() => void this.terminate(), timeout);
        // The work in hand holds the process; the timer alone does not.
        this.drainTimer.unref?.();
      }
      this.closing = drained.then(() => this.terminate());
      this.publish();
    }
    return this.closing;
  }

  /**
   * Ends every request queued now, in every pipeline, with
   * `TaskCancelledError`; running requests go on, and later requests queue
   * as usual (a `pullFrom` source is pulled again). Each cancelled request
   * still yields its one outcome, unlike the requests of an unsubscribed
   * `poolMap` (whose subscriber has left, so nobody would hear them): here
   * the subscribers are still listening, and learn which requests never ran.
   *
   * @returns How many requests it ended.
   */
  cancelPending(): number {
    return this.scheduler.endQueued((request) => new TaskCancelledError(request.id));
  }

  /** Stops every worker now: what is queued or running ends with `PoolClosedError`. */
  private terminate(): Promise<void> {
    if (!this.terminating) {
      this.sizeSubscription?.unsubscribe();
      this.firstSize?.(Promise.reject(new PoolClosedError()));
      this.firstSize = undefined;
      clearTimeout(this.drainTimer);
      this.endDrain?.();
      this.scheduler.fail(new PoolClosedError());
      this.terminating = this.executor.close().then(() => {
        this.publish();
        this.subject.complete();
        this.eventSubject.next({ type: 'closed' });
        this.eventSubject.complete();
      });
    }
    this.closing ??= this.terminating;
    return this.terminating;
  }

  /**
   * Runs one request of `task` and resolves with its result: the one-call
   * face of `poolMap` (from `rxjs-threadpool/operators`), for code that wants a value, not a stream.
   *
   * It goes through the same scheduler as every pipeline: the call opens a
   * pipeline of its own (it takes turns with the others, and shows in
   * `stats.pipelines` while it runs), submits its one request and closes
   * the pipeline when the request has settled. So it queues behind busy
   * workers, follows the pool's `taskTimeout`, and is rerun once, alone,
   * when its worker dies under it, as a `poolMap` request is.
   *
   * @example
   * ```ts
   * const pool = createPool<Tasks>(new URL('./primes.worker.js', import.meta.url));
   * const count = await pool.run('countPrimes', 100_000); // 9592
   * await pool.close();
   * ```
   * @see `poolMap` for many requests, as a stream of outcomes.
   * @typeParam K - The task's name.
   * @param task - The name of a task the worker module exposes.
   * @param args - The task's arguments.
   * @returns The task's result (an async task's value, a generator task's
   * return value; what a generator yields is dropped). Rejects with the
   * error the request ended with, the same as a `poolMap` outcome's
   * `error`: `TaskError` when the task threw (its `cause` is the worker's
   * error), `WorkerCrashedError`, `TaskTimeoutError`, `DataCloneError`,
   * `UnknownTaskError`, `WorkerStartError`, or `PoolClosedError`; and with
   * `InvalidOptionError` when `task` is not a task name.
   */
  run<K extends TaskName<T>>(task: K, ...args: TaskArgs<T, K>): Promise<TaskResult<T, K>> {
    return new Promise<TaskResult<T, K>>((resolve, reject) => {
      if (typeof task !== 'string' || task === '') throw new InvalidOptionError('task', task, 'a task name (a non-empty string)');
      this.checkTask(task);
      const pipeline = this.openPipeline(task, (outcome) => {
        pipeline.close();
        if (outcome.ok) resolve(outcome.value as TaskResult<T, K>);
        else reject(outcome.error);
      });
      pipeline.submit(workRequest(args));
    });
  }

  /**
   * Throws `UnknownTaskError` when the worker module is known not to expose
   * `task`. Before the first worker is ready the names are not known yet;
   * then an unknown task's requests end with `UnknownTaskError` instead.
   * @internal
   */
  checkTask(task: string): void {
    const tasks = this.executor.tasks;
    if (tasks && !tasks.includes(task)) throw new UnknownTaskError(task, tasks);
  }

  /** @internal How stream tasks run on this pool's executor; `undefined` where they do not (a queue). */
  get streams(): StreamSupport | undefined {
    return this.executor.streams;
  }

  /** @internal The pipeline through which one subscriber submits requests. */
  openPipeline(task: string, deliver: Deliver, options: PipelineOptions = {}): Pipeline {
    const timeout = options.timeout ?? this.setup.defaults?.timeout;
    const cancelGrace = options.cancelGrace ?? this.setup.defaults?.cancelGrace;
    return this.scheduler.openPipeline(
      task,
      deliver,
      timeout === undefined && cancelGrace === undefined
        ? options
        : { ...options, ...(timeout === undefined ? {} : { timeout }), ...(cancelGrace === undefined ? {} : { cancelGrace }) },
    );
  }

  private publish(): void {
    if (this.subject.observed) this.subject.next(this.snapshot(100));
    if (this.eventSubject.observed) {
      const { pending } = this.scheduler;
      if (pending === 0 && this.lastPending > 0) this.eventSubject.next({ type: 'drained' });
      this.lastPending = pending;
    }
  }
}

// Where the runtime has the symbol (Node 20, recent browsers): an own method would name it "undefined" elsewhere.
if (typeof Symbol.asyncDispose === 'symbol') {
  Object.defineProperty(Pool.prototype, Symbol.asyncDispose, {
    value: function close(this: Pool): Promise<void> {
      return this.close();
    },
    writable: true,
    configurable: true,
  });
}
