/**
 * A pipeline's queue of requests waiting for a worker: first in, first out,
 * with the jobs that must travel alone (reruns after a crash) cut out of
 * batches.
 *
 * @module
 */
import type { Job } from '../executor.js';
import type { WorkRequest } from '../requests.js';
import type { Transferable } from '../transfer.js';

/** A queued request: the job an executor runs, and what its pipeline needs to deliver the outcome. */
export class QueuedJob implements Job {
  readonly id: number;
  readonly args: readonly unknown[];
  /** Its worker died under it once: it runs again alone, and a second death is its own fault. */
  rerun = false;
  /** When it was queued (`performance.now()`), while timings are recorded; else 0. */
  queuedAt = 0;

  constructor(
    readonly task: string,
    readonly request: WorkRequest<readonly unknown[]>,
    /** What the pipeline's owner gave with the request, handed back with its outcome (`poolMap`'s position for ordered output). */
    readonly ticket: number,
    readonly transfer: readonly Transferable[] | undefined,
  ) {
    this.id = request.id;
    this.args = request.args;
  }
}

/**
 * An array read from a moving head, so taking from the front costs nothing;
 * the consumed prefix is dropped now and then, so a long-lived queue does
 * not grow for ever.
 */
export class JobQueue {
  private items: QueuedJob[] = [];
  private head = 0;

  /** Jobs waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** The job that would leave next, if any. */
  peek(): QueuedJob | undefined {
    return this.items[this.head];
  }

  push(job: QueuedJob): void {
    this.items.push(job);
  }

  /** Takes the oldest job, if any. */
  shift(): QueuedJob | undefined {
    if (this.head === this.items.length) return undefined;
    const job = this.items[this.head++];
    this.compact();
    return job;
  }

  /** Takes up to `size` jobs from the front; a rerun job always travels alone. */
  take(size: number): QueuedJob[] {
    const { items, head } = this;
    if (items[head].rerun) {
      this.head++;
      this.compact();
      return [items[head]];
    }
    const end = Math.min(head + size, items.length);
    let stop = head + 1;
    while (stop < end && !items[stop].rerun) stop++;
    const taken = items.slice(head, stop);
    this.head = stop;
    this.compact();
    return taken;
  }

  /** Puts jobs back at the front, in order (taken jobs that could not start, reruns). */
  putBack(jobs: readonly QueuedJob[]): void {
    if (this.head >= jobs.length) {
      this.head -= jobs.length;
      for (let i = 0; i < jobs.length; i++) this.items[this.head + i] = jobs[i];
    } else {
      this.items.splice(0, this.head, ...jobs);
      this.head = 0;
    }
  }

  /** Empties the queue and returns what was in it, oldest first. */
  drain(): QueuedJob[] {
    const rest = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }
}
