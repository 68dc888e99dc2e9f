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
