/**
 * The counts of requests running and ended, kept once: a pipeline's tally
 * rolls up into the pool's, so every change is written in one place and the
 * pool's totals are the sum of its pipelines' (closed ones included). What
 * is queued is not counted: it is the length of the queues.
 *
 * @module
 */

/** Requests running, and ended with a result or an error. */
export class Tally {
  running = 0;
  completed = 0;
  failed = 0;

  /** @param parent - The tally this one's changes also go to (the pool's, for a pipeline's). */
  constructor(private readonly parent?: Tally) {}

  /** `n` requests started (`n` < 0: taken back before they started). */
  started(n: number): void {
    this.running += n;
    this.parent?.started(n);
  }

  /** Of the requests running, `completed` ended with a result, `failed` with an error, and `requeued` went back to the queue. */
  ended(completed: number, failed: number, requeued = 0): void {
    this.running -= completed + failed + requeued;
    this.completed += completed;
    this.failed += failed;
    this.parent?.ended(completed, failed, requeued);
  }

  /** `n` requests ended with an error without running (refused, dropped from the queue, failed with the pool). */
  refused(n = 1): void {
    this.failed += n;
    this.parent?.refused(n);
  }
}
