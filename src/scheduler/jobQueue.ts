/**
 * A pipeline's queue of requests waiting for a worker: first in, first out,
 * with the jobs that must travel alone (reruns after a crash) cut out of
 * batches.
 *
 * @module
 */
import type { Job } from '../executor.js';
import type { Key } from '../keys.js';
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
  /** Its priority, in a pipeline whose requests each have one (see `priorityQueue.ts`). */
  priority = 0;

  constructor(
    readonly task: string,
    readonly request: WorkRequest<readonly unknown[]>,
    /** What the pipeline's owner gave with the request, handed back with its outcome (`poolMap`'s position for ordered output). */
    readonly ticket: number,
    readonly transfer: readonly Transferable[] | undefined,
    /** Its key, in a keyed pipeline. */
    readonly key?: Key,
  ) {
    this.id = request.id;
    this.args = request.args;
  }
}

/**
 * How many requests wait in every queue of a pool: each queue adds and
 * subtracts what enters and leaves it, so the pool's total is kept where the
 * requests move, and read without walking the pipelines (the pool-wide
 * `maxQueue` checks it per request).
 */
export class QueueCount {
  queued = 0;
}

/** A waiting request: as it was submitted (the common case, kept small), or as a job (one put back, or one with a task, transfer list or queue time of its own). */
type Entry = WorkRequest<readonly unknown[]> | QueuedJob;

/**
 * A pipeline's waiting requests, read from a moving head, so taking from the
 * front costs nothing; the consumed prefix is dropped now and then, so a
 * long-lived queue does not grow for ever.
 *
 * A request waits as itself plus its ticket (two array slots): its
 * {@link QueuedJob} is made when it leaves, so a synchronous source that
 * queues a million requests pays for the requests, not for a job object
 * each. Requests that differ from the pipeline's usual (another task, a
 * transfer list, a queue time recorded) and jobs put back wait as jobs.
 */
export class JobQueue {
  private entries: Entry[] = [];
  /** Each entry's ticket, by position (ignored for entries that are jobs: theirs is in the job). */
  private tickets: number[] = [];
  private head = 0;

  /**
   * @param task - The task of requests pushed without one of their own: the pipeline's.
   * @param key - The key of every request it holds (one key's line in a keyed pipeline).
   * @param count - See the field.
   */
  constructor(
    private task: string,
    private readonly key?: Key,
    /** The pool's count of queued requests, which this queue's changes go to. */
    private readonly count = new QueueCount(),
    /** Its requests name their own tasks (a `ThreadPool`'s): the usual task is the one of the first request pushed while it is empty. */
    private readonly adopts = task === '',
  ) {}

  /** Jobs waiting. */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** Whether the job that would leave next is a rerun (it travels alone); false when none waits. */
  nextIsRerun(): boolean {
    const entry = this.entries[this.head];
    return entry instanceof QueuedJob && entry.rerun;
  }

  /** Queues a request with the ticket its outcome is delivered with; `queuedAt` when timings are recorded. */
  push(request: WorkRequest<readonly unknown[]>, ticket: number, task: string, transfer: readonly Transferable[] | undefined, queuedAt = 0): void {
    if (this.adopts && this.head === this.entries.length) this.task = task;
    if (task === this.task && transfer === undefined && queuedAt === 0) {
      this.entries.push(request);
    } else {
      const job = new QueuedJob(task, request, ticket, transfer, this.key);
      job.queuedAt = queuedAt;
      this.entries.push(job);
    }
    this.tickets.push(ticket);
    this.count.queued++;
  }

  /** The ticket of the job that would leave next (`undefined` when none waits). */
  headTicket(): number | undefined {
    if (this.head === this.entries.length) return undefined;
    const entry = this.entries[this.head];
    return entry instanceof QueuedJob ? entry.ticket : this.tickets[this.head];
  }

  /** Takes the oldest job, if any. */
  shift(): QueuedJob | undefined {
    if (this.head === this.entries.length) return undefined;
    const job = this.jobAt(this.head++);
    this.count.queued--;
    this.compact();
    return job;
  }

  /** Takes up to `size` jobs from the front; a rerun job always travels alone. */
  take(size: number): QueuedJob[] {
    const taken: QueuedJob[] = [];
    this.takeInto(taken, size);
    return taken;
  }

  /**
   * Appends up to `size` jobs from the front to `out` (a rerun job alone,
   * and none after the first that is not a rerun); returns how many.
   */
  takeInto(out: QueuedJob[], size: number): number {
    const { entries, head } = this;
    if (head === entries.length || size < 1) return 0;
    if (this.nextIsRerun()) {
      this.head++;
      out.push(entries[head] as QueuedJob);
      this.count.queued--;
      this.compact();
      return 1;
    }
    const end = Math.min(head + size, entries.length);
    let stop = head + 1;
    while (stop < end && !isRerun(entries[stop])) stop++;
    for (let at = head; at < stop; at++) out.push(this.jobAt(at));
    this.head = stop;
    this.count.queued -= stop - head;
    this.compact();
    return stop - head;
  }

  /** Puts jobs back at the front, in order (taken jobs that could not start, reruns). */
  putBack(jobs: readonly QueuedJob[]): void {
    this.count.queued += jobs.length;
    if (this.head >= jobs.length) {
      this.head -= jobs.length;
      for (let i = 0; i < jobs.length; i++) this.entries[this.head + i] = jobs[i];
    } else {
      this.entries.splice(0, this.head, ...jobs);
      this.tickets.splice(0, this.head, ...jobs.map((job) => job.ticket));
      this.head = 0;
    }
  }

  /** Empties the queue and returns what was in it, oldest first. */
  drain(): QueuedJob[] {
    const rest = new Array<QueuedJob>(this.length);
    for (let at = this.head; at < this.entries.length; at++) rest[at - this.head] = this.jobAt(at);
    this.entries = [];
    this.tickets = [];
    this.head = 0;
    this.count.queued -= rest.length;
    return rest;
  }

  /** The entry at `at` as a job. */
  private jobAt(at: number): QueuedJob {
    const entry = this.entries[at];
    return entry instanceof QueuedJob ? entry : new QueuedJob(this.task, entry, this.tickets[at], undefined, this.key);
  }

  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = [];
      this.tickets = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries.splice(0, this.head);
      this.tickets.splice(0, this.head);
      this.head = 0;
    }
  }
}

function isRerun(entry: Entry): boolean {
  return entry instanceof QueuedJob && entry.rerun;
}
