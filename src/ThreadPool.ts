/**
 * `ThreadPool`: the seed's imperative API (Python's `threadpool.ThreadPool`),
 * a thin face over the same pool and scheduler that `poolMap` uses.
 * Async where Python blocks.
 *
 * @module
 */
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTimeout } from './checks.js';
import { createPool } from './createPool.js';
import { InvalidOptionError, NoResultsPending, NoWorkersAvailable, PoolClosedError, QueueFullError } from './errors.js';
import type { Outcome } from './outcomes.js';
import { Pool } from './Pool.js';
import { isWorkRequest, printError, type WorkRequest } from './requests.js';
import type { Pipeline } from './scheduler/pipeline.js';
import type { TaskMap } from './tasks.js';
import type { WorkerSource } from './threads/workerSource.js';

/**
 * Options of {@link ThreadPool}.
 *
 * @category Imperative API (ThreadPool)
 */
export interface ThreadPoolOptions {
  /** Worker threads (the seed's `num_workers`). Default: the number of CPUs. Ignored when given a pool. */
  readonly numWorkers?: number;
  /** Bound of the request queue (the seed's `q_size`); 0 (the default) is unbounded. */
  readonly qSize?: number;
  /**
   * Bound of the results waiting to be polled (the seed's `resq_size`); 0 (the
   * default) is unbounded. While it is full no further request starts, and
   * requests already running hold their results back until `poll()` makes room.
   */
  readonly resqSize?: number;
  /**
   * How long (ms) an idle worker waits before it exits (the seed's
   * `poll_timeout`); it is started again when work comes. Default: never.
   * Ignored when given a pool.
   */
  readonly pollTimeout?: number;
}

/**
 * Options of {@link ThreadPool.putRequest}.
 *
 * @category Imperative API (ThreadPool)
 */
export interface PutOptions {
  /** Wait for room in a full queue (default `true`) rather than reject at once. */
  readonly block?: boolean;
  /** With `block`, how long (ms) to wait before rejecting with `QueueFullError`. Default: no limit. */
  readonly timeout?: number;
}

/**
 * Options of {@link ThreadPool.poll}.
 *
 * @category Imperative API (ThreadPool)
 */
export interface PollOptions {
  /** Wait for at least one outcome (default `false`). */
  readonly block?: boolean;
}

/**
 * Options of {@link ThreadPool.dismissWorkers}.
 *
 * @category Imperative API (ThreadPool)
 */
export interface ThreadPoolDismissOptions {
  /** Wait until the dismissed workers have finished their request and exited (the seed's `do_join`). Default `false`. */
  readonly doJoin?: boolean;
}

interface Putter {
  readonly request: WorkRequest<readonly unknown[]>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

type AnyRequest = WorkRequest<readonly unknown[], unknown>;

/**
 * A pool of worker threads fed one request at a time, with results handed to
 * callbacks by `poll()` and `wait()`, as in Python's `threadpool`.
 *
 * @example
 * ```ts
 * const threadPool = new ThreadPool<Tasks>(join(__dirname, 'primes.worker.js'), { numWorkers: 4, qSize: 100 });
 * const requests = makeRequests('countPrimes', [1e5, 2e5, -1],
 *   (request, value) => console.log(`#${request.id}: ${value}`),
 *   (request, error) => console.error(`#${request.id}: ${error.message}`));
 * for (const request of requests) await threadPool.putRequest(request);
 * await threadPool.wait();
 * await threadPool.close();
 * ```
 * @typeParam T - The worker module's task map (`typeof tasks`).
 *
 * @category Imperative API (ThreadPool)
 */
export class ThreadPool<T extends TaskMap = TaskMap> {
  /** The pool underneath (shared with `poolMap` if you like: one scheduler serves both). */
  readonly pool: Pool<T>;
  private readonly qSize: number;
  private readonly resqSize: number;
  private readonly pipeline: Pipeline;
  private readonly results: Outcome<readonly unknown[]>[] = [];
  private readonly putters: Putter[] = [];
  private readonly pollers: (() => void)[] = [];
  private readonly dismissed: { readonly count: number; readonly gone: Promise<void> }[] = [];
  private closed = false;

  /**
   * Starts a pool (or takes over an existing one) and opens the one
   * pipeline that `putRequest` feeds.
   *
   * @param worker - As in `createPool` (a factory, an absolute path or a `file:` URL), or an existing pool.
   * @param options - See {@link ThreadPoolOptions}.
   * @throws InvalidOptionError for a bad option, synchronously.
   */
  constructor(worker: WorkerSource | Pool<T>, options?: ThreadPoolOptions) {
    const given = checkOptionsObject('options', options);
    checkKnownKeys('the ThreadPool options', given, ['numWorkers', 'qSize', 'resqSize', 'pollTimeout'], {
      num_workers: 'numWorkers',
      q_size: 'qSize',
      resq_size: 'resqSize',
      poll_timeout: 'pollTimeout',
      size: 'numWorkers',
    });
    const { numWorkers, qSize = 0, resqSize = 0, pollTimeout } = given;
    this.qSize = checkInteger('qSize', qSize, 0);
    this.resqSize = checkInteger('resqSize', resqSize, 0);
    if (worker instanceof Pool) {
      this.pool = worker;
    } else {
      if (numWorkers !== undefined) checkInteger('numWorkers', numWorkers, 1);
      if (pollTimeout !== undefined) checkTimeout('pollTimeout', pollTimeout);
      this.pool = createPool<T>(worker, {
        ...(numWorkers === undefined ? {} : { size: numWorkers }),
        ...(pollTimeout === undefined ? {} : { idleTimeout: pollTimeout }),
      });
    }
    // Its requests name their own tasks: the pipeline has none (its queue keeps the task its requests share compact).
    this.pipeline = this.pool.openPipeline('', (outcome) => this.collect(outcome), {
      name: 'ThreadPool',
      batch: 1,
      rerunOnCrash: true,
      gate: this.resqSize > 0 ? () => this.results.length < this.resqSize : undefined,
      dequeued: () => this.admit(),
    });
  }

  /** Live workers (the seed's `len(workers)`). */
  get workers(): number {
    return this.pool.size;
  }

  /** Workers dismissed without `doJoin` and not yet joined (the seed's `len(dismissedWorkers)`). */
  get dismissedWorkers(): number {
    return this.dismissed.reduce((sum, { count }) => sum + count, 0);
  }

  /**
   * Queues a request (from `makeRequests(task, argsList, callback, excCallback)`).
   *
   * With a bounded queue (`qSize`) that is full: `block: true` (the default)
   * waits for room, up to `timeout` ms, then rejects with `QueueFullError`;
   * `block: false` rejects with `QueueFullError` at once. A rejected request
   * is not queued; a request is never queued twice.
   *
   * @param request - A request from `makeRequests(task, …)`: it names its
   * task and carries the callbacks `poll()` calls.
   * @param options - `block` and `timeout`, for a full queue.
   * @returns A promise that resolves once the request is queued.
   * @throws (rejects) PoolClosedError after `close()`; InvalidOptionError for a request without a task;
   * QueueFullError when the queue is full and `block` is false or `timeout` passes.
   */
  putRequest(request: WorkRequest<readonly unknown[], never>, options?: PutOptions): Promise<void> {
    const given = checkOptionsObject('putRequest options', options);
    checkKnownKeys('the putRequest options', given, ['block', 'timeout']);
    const { block = true, timeout } = given;
    if (!isWorkRequest(request) || typeof request.task !== 'string') {
      return Promise.reject(new InvalidOptionError('request', request, 'a WorkRequest with a task, from makeRequests(task, argsList, callback, excCallback)'));
    }
    if (timeout !== undefined) checkTimeout('timeout', timeout, 0);
    if (this.closed) return Promise.reject(new PoolClosedError(request.id));
    if (this.qSize === 0 || (this.pipeline.queued < this.qSize && this.putters.length === 0)) {
      this.submit(request);
      return Promise.resolve();
    }
    if (!block) return Promise.reject(new QueueFullError(this.qSize, request.id, 'full'));
    return new Promise<void>((resolve, reject) => {
      const putter: Putter = { request, resolve, reject };
      if (timeout !== undefined) {
        putter.timer = setTimeout(() => {
          this.putters.splice(this.putters.indexOf(putter), 1);
          reject(new QueueFullError(this.qSize, request.id, 'timeout'));
        }, timeout);
      }
      this.putters.push(putter);
    });
  }

  /**
   * Hands every outcome that is ready to its request's callback (results) or
   * `excCallback` (errors). With `block: true` it first waits for at least one.
   *
   * @param options - `block`: wait for an outcome when none is ready.
   * @returns A promise that resolves when the ready outcomes have been handed over.
   * @throws (rejects) NoResultsPending when no request is queued, running or
   * waiting to be polled; NoWorkersAvailable when requests wait but the pool
   * has no workers; whatever a callback throws (the outcomes after it stay
   * for the next poll).
   */
  async poll(options?: PollOptions): Promise<void> {
    const given = checkOptionsObject('poll options', options);
    checkKnownKeys('the poll options', given, ['block']);
    const { block = false } = given;
    if (this.results.length === 0) {
      const pending = this.pipeline.pending + this.putters.length;
      if (pending === 0) throw new NoResultsPending();
      if (this.pool.size === 0 && this.pipeline.running === 0) throw new NoWorkersAvailable(pending);
      if (!block) return;
      await new Promise<void>((resolve) => this.pollers.push(resolve));
    }
    this.handOver();
  }

  /**
   * Polls until every request put so far has been handed to a callback.
   *
   * @returns A promise that resolves when no request is pending.
   * @throws (rejects) NoWorkersAvailable when requests wait but the pool has
   * no workers; whatever a callback throws.
   */
  async wait(): Promise<void> {
    for (;;) {
      try {
        await this.poll({ block: true });
      } catch (error) {
        if (error instanceof NoResultsPending) return;
        throw error;
      }
    }
  }

  /**
   * Adds `n` workers (see `Pool.createWorkers`).
   *
   * @param n - How many workers to add (0 or more).
   * @returns A promise that resolves when they are ready.
   * @throws InvalidOptionError unless `n` is a non-negative integer.
   */
  createWorkers(n: number): Promise<void> {
    return this.pool.createWorkers(n);
  }

  /**
   * Dismisses up to `n` workers, idle ones first; a busy one finishes its
   * request first. With `doJoin` it resolves when they have exited; otherwise
   * at once, and they count in `dismissedWorkers` until `joinAllDismissedWorkers()`.
   *
   * @param n - How many workers to dismiss (0 or more).
   * @param options - `doJoin`: wait for them to exit.
   * @returns A promise that resolves at once, or with `doJoin` when they have exited.
   * @throws InvalidOptionError unless `n` is a non-negative integer.
   */
  dismissWorkers(n: number, options?: ThreadPoolDismissOptions): Promise<void> {
    const given = checkOptionsObject('dismissWorkers options', options);
    checkKnownKeys('the dismissWorkers options', given, ['doJoin'], { do_join: 'doJoin', join: 'doJoin' });
    const { doJoin = false } = given;
    const dismissed = this.pool.dismiss(n);
    if (doJoin) return dismissed.gone;
    this.dismissed.push(dismissed);
    return Promise.resolve();
  }

  /**
   * Waits for every worker dismissed without `doJoin` to exit.
   *
   * @returns A promise that resolves when they have; `dismissedWorkers` is then 0
   * (but for workers dismissed meanwhile).
   */
  async joinAllDismissedWorkers(): Promise<void> {
    const waiting = [...this.dismissed];
    await Promise.all(waiting.map(({ gone }) => gone));
    for (const joined of waiting) this.dismissed.splice(this.dismissed.indexOf(joined), 1);
  }

  /**
   * Closes the pool (a pool passed in too) and terminates every worker.
   * Queued and running requests end with `PoolClosedError`, handed to their
   * `excCallback` by the next `poll()`; `putRequest` rejects from now on.
   *
   * @returns A promise that resolves when the workers are terminated.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const putter of this.putters.splice(0)) {
      clearTimeout(putter.timer);
      putter.reject(new PoolClosedError(putter.request.id));
    }
    await this.pool.close();
    this.pipeline.close();
    this.wakePollers();
  }

  private submit(request: AnyRequest): void {
    this.pipeline.submit(request, 0, request.task as string);
  }

  /** Room in the queue: let waiting putters in, in order. */
  private admit(): void {
    while (this.putters.length > 0 && this.pipeline.queued < this.qSize) {
      const putter = this.putters.shift() as Putter;
      clearTimeout(putter.timer);
      this.submit(putter.request);
      putter.resolve();
    }
  }

  private collect(outcome: Outcome<readonly unknown[]>): void {
    this.results.push(outcome);
    this.wakePollers();
  }

  private wakePollers(): void {
    for (const wake of this.pollers.splice(0)) wake();
  }

  private handOver(): void {
    while (this.results.length > 0) {
      const outcome = this.results.shift() as Outcome<readonly unknown[]>;
      const request = outcome.request as AnyRequest;
      if (this.resqSize > 0) this.pipeline.wake();
      if (outcome.ok) request.callback?.(request, outcome.value);
      else (request.excCallback ?? printError)(request, outcome.error);
    }
  }
}
