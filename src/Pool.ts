/**
 * The pool: a scheduler in front of an executor, with the controls a user
 * needs (resize, stats, close). `createPool` builds one on threads.js
 * workers; `createVirtualPool` (from `rxjs-threadpool/marbles`) on virtual
 * time. Both dispatch through the same {@link Scheduler}.
 *
 * @module
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import { checkInteger, checkOptionsObject } from './checks.js';
import { PoolClosedError, UnknownTaskError } from './errors.js';
import type { Executor } from './executor.js';
import { type Deliver, type Lane, type LaneOptions, Scheduler } from './scheduler.js';
import type { TaskMap } from './tasks.js';

/** A snapshot of a pool's state. */
export interface PoolStats {
  /** Live workers (starting, idle or busy; not dismissed). */
  readonly workers: number;
  /** Workers running a request. */
  readonly busy: number;
  /** Requests waiting for a worker. */
  readonly queued: number;
  /** Requests that ended with a result. */
  readonly completed: number;
  /** Requests that ended with an error. */
  readonly failed: number;
}

/** Options of {@link Pool.dismissWorkers}. */
export interface DismissOptions {
  /** Wait until the dismissed workers have finished their current request and exited. Default `false`. */
  readonly join?: boolean;
}

declare const taskTypes: unique symbol;

/**
 * A pool of workers that run the tasks of one worker module.
 *
 * `T` is the module's task map (`typeof tasks` from `exposeTasks`), which
 * types `poolMap`'s task names, arguments and results.
 */
export class Pool<T extends TaskMap = TaskMap> {
  declare readonly [taskTypes]?: T;
  private readonly scheduler: Scheduler;
  private readonly subject: BehaviorSubject<PoolStats>;
  private readonly dismissing = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  /**
   * The pool's state, published after each change: `workers`, `busy`,
   * `queued`, `completed`, `failed`. Replays the latest snapshot to new
   * subscribers and completes when the pool is closed (read `stats` for the
   * last snapshot after that).
   */
  readonly stats$: Observable<PoolStats>;

  /**
   * Resolves when the first workers are ready. Rejects with
   * `WorkerStartError` when a worker cannot start; requests need not wait for
   * it (they are queued, and end with that error if the workers never start).
   */
  readonly ready: Promise<void>;

  /**
   * @internal Use `createPool` or `createVirtualPool`.
   * @param defaults - Lane options every pipeline gets unless it sets its own (the pool's `taskTimeout`).
   */
  constructor(
    private readonly executor: Executor,
    private readonly defaults: Pick<LaneOptions, 'timeout'> = {},
  ) {
    this.subject = new BehaviorSubject<PoolStats>({ workers: 0, busy: 0, queued: 0, completed: 0, failed: 0 });
    this.scheduler = new Scheduler(executor, () => this.publish());
    this.subject.next(this.stats);
    this.stats$ = this.subject.asObservable();
    this.ready = executor.ready;
    // A start failure also reaches every request; `ready` must not crash the process when nobody awaits it.
    this.ready.catch(() => undefined);
  }

  /** The current state (see {@link Pool.stats$}). */
  get stats(): PoolStats {
    const { queued, completed, failed } = this.scheduler.counts;
    return { workers: this.executor.capacity, busy: this.executor.busy, queued, completed, failed };
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
   * Adds `n` workers. Running pipelines use them at once, without
   * resubscribing. Resolves when they are ready.
   *
   * @throws InvalidOptionError unless `n` is a non-negative integer.
   */
  createWorkers(n: number): Promise<void> {
    checkInteger('createWorkers(n)', n, 0);
    if (this.closing) return Promise.reject(new PoolClosedError());
    const started = this.executor.createWorkers(n);
    this.publish();
    return started;
  }

  /**
   * Removes up to `n` workers, idle ones first. A busy worker finishes its
   * current request, takes no other, and exits. No request is lost.
   *
   * @returns A promise that resolves at once, or with `{ join: true }` when
   * the dismissed workers have exited.
   * @throws InvalidOptionError unless `n` is a non-negative integer.
   */
  dismissWorkers(n: number, options?: DismissOptions): Promise<void> {
    const { join = false } = checkOptionsObject('dismissWorkers options', options);
    const { gone } = this.dismiss(n);
    return join ? gone : Promise.resolve();
  }

  /** @internal Dismisses up to `n` workers; says how many, and when they are gone. */
  dismiss(n: number): { count: number; gone: Promise<void> } {
    checkInteger('dismissWorkers(n)', n, 0);
    const dismissed = this.executor.dismissWorkers(n);
    const { gone } = dismissed;
    this.dismissing.add(gone);
    void gone.finally(() => this.dismissing.delete(gone));
    this.publish();
    return dismissed;
  }

  /** Resolves when every worker dismissed so far has exited. */
  joinAllDismissedWorkers(): Promise<void> {
    return Promise.all(this.dismissing).then(() => undefined);
  }

  /**
   * Terminates every worker. Queued and running requests end with
   * `PoolClosedError`, and so does every request made later. Idempotent.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.scheduler.fail(new PoolClosedError());
      this.closing = this.executor.close().then(() => {
        this.publish();
        this.subject.complete();
      });
    }
    return this.closing;
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

  /** @internal The lane through which one subscriber submits requests. */
  openLane(task: string, deliver: Deliver, options: LaneOptions = {}): Lane {
    const timeout = options.timeout ?? this.defaults.timeout;
    return this.scheduler.openLane(task, deliver, timeout === undefined ? options : { ...options, timeout });
  }

  private publish(): void {
    if (this.subject.observed) this.subject.next(this.stats);
  }
}
