/**
 * How many jobs a host runs at once when `concurrency` is not set: fitted
 * to the jobs, from the thread time each one takes (see
 * `ServeOptions.concurrency`).
 *
 * @module
 */
import { smoothed } from '../timing.js';
import { MAX_HOST_CONCURRENCY } from './serveOptions.js';

/** Single-request jobs under a millisecond in a row after which a host runs many more at once. */
const SINGLES_FOR_WIDE = 256;

/** The concurrency a host's jobs call for. */
export class ConcurrencyFit {
  /** Jobs of a few ms: enough that a thread never waits on Redis round trips. The start. */
  readonly steady: number;
  /** Smoothed thread time of a job (ms). */
  private jobMs: number | undefined;
  /** Single-request jobs in a row. */
  private singles = 0;

  constructor(private readonly threads: number) {
    this.steady = Math.min(threads * 8, MAX_HOST_CONCURRENCY);
  }

  /**
   * A job of `requests` requests took `ms` of thread time: the concurrency
   * now called for. `threads + 1` while jobs take over 10 ms (a host does not
   * hoard jobs another host could run); `threads × 64` once many single
   * requests in a row took under a millisecond (BullMQ's own cost per job is
   * then what limits, and it shrinks as more jobs run at once); else steady.
   */
  after(requests: number, ms: number): number {
    const jobMs = (this.jobMs = smoothed(this.jobMs, ms));
    this.singles = requests === 1 ? this.singles + 1 : 0;
    if (jobMs > 10) return this.threads + 1;
    if (this.singles >= SINGLES_FOR_WIDE && jobMs < 1) return Math.min(this.threads * 64, MAX_HOST_CONCURRENCY);
    return this.steady;
  }
}
