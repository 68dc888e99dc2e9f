/**
 * What a pool reports of itself: `pool.stats` and `pool.stats$`.
 *
 * @module
 */
import type { Percentiles } from './timing.js';

/**
 * A snapshot of a pool's state.
 *
 * @category Pools
 */
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
  /**
   * How long requests waited in the queue before they started, in ms, over
   * the latest 1000 requests (recorded only while `stats$` has a subscriber;
   * `count` is 0 before any).
   */
  readonly wait: Percentiles;
  /** How long requests ran, in ms (a batch's time shared among its requests), over the latest 1000. */
  readonly run: Percentiles;
  /** The share of the workers' time spent running requests over the last 5 s (0 to 1), while recorded. */
  readonly utilization: number;
  /** Each open pipeline (`poolMap` subscription) on the pool. */
  readonly pipelines: readonly PipelineStats[];
  /**
   * Each live worker's event loop, as Node measures it
   * (`eventLoopUtilization()`, what poolifier reports): for worker threads
   * of Node; empty where the workers cannot say (Web Workers, the virtual
   * pool, a queue's hosts).
   */
  readonly workerLoads: readonly WorkerLoad[];
}

/**
 * One worker's event loop since it started: how long it ran code and how
 * long it waited, in ms, and the share it ran (0 to 1). A worker is busy
 * running tasks, and also while it copies messages and collects garbage;
 * the difference of two readings gives the share over that span.
 *
 * @category Pools
 */
export interface WorkerLoad {
  /** The pool's number for the worker (as in `events$` and error messages). */
  readonly worker: number;
  /** Ms its event loop spent running code since it started. */
  readonly activeMs: number;
  /** Ms its event loop spent waiting since it started. */
  readonly idleMs: number;
  /** `activeMs / (activeMs + idleMs)`: its event-loop utilization. */
  readonly utilization: number;
}

/**
 * One pipeline's part of {@link PoolStats}.
 *
 * @category Pools
 */
export interface PipelineStats {
  /** Its `name` option, else its task's name. */
  readonly name: string;
  /** Its `priority` option (default 0). */
  readonly priority: number;
  /** Its requests waiting for a worker. */
  readonly queued: number;
  /** Its requests running on a worker. */
  readonly running: number;
  /** Its requests that ended with a result. */
  readonly completed: number;
  /** Its requests that ended with an error. */
  readonly failed: number;
  /** How long its requests waited in the queue, in ms, over its latest 1000 (while `stats$` has a subscriber). */
  readonly wait: Percentiles;
  /** How long its requests ran, in ms, over its latest 1000 (while `stats$` has a subscriber). */
  readonly run: Percentiles;
}
