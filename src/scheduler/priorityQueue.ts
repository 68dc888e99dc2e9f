/**
 * The queue of a pipeline whose requests each have a priority (`poolMap`'s
 * `priority` as a function of the request): higher first, with aging, so a
 * low-priority request still runs under a steady stream of high ones.
 *
 * The rule: a waiting request gains 1 in priority for every
 * {@link AGING_STARTS} requests the pool starts while it waits. Its rank is
 * `priority + (started since it was queued) / AGING_STARTS`; since every
 * waiting request gains at the same pace, comparing two ranks is comparing
 * `priority - (started before it was queued) / AGING_STARTS`, fixed when it
 * is queued: the queue is a heap on that, ties first in, first out. A rerun
 * after a crash goes before everything, alone.
 *
 * @module
 */
import type { WorkRequest } from '../requests.js';
import type { Transferable } from '../transfer.js';
import { QueueCount, QueuedJob } from './jobQueue.js';

/** Requests the pool starts that raise a waiting request's priority by 1. */
export const AGING_STARTS = 100;

/** A waiting job and its place: the higher `rank`, the sooner; of equal ranks, the lower `seq`. */
interface Entry {
  readonly job: QueuedJob;
  readonly rank: number;
  readonly seq: number;
}

/** A pipeline's requests by rank (see the module): a binary heap. */
export class PriorityJobQueue {
  private readonly heap: Entry[] = [];
  /** Each job's entry while it is out of the queue (taken): put back, it keeps its place. */
  private readonly places = new WeakMap<QueuedJob, Entry>();
  private seq = 0;

  constructor(
    /** The pool's count of queued requests, which this queue's changes go to. */
    private readonly count = new QueueCount(),
  ) {}

  /** Jobs waiting. */
  get length(): number {
    return this.heap.length;
  }

  /** The priority of the job that would leave next, as it was given (0 when none waits). */
  get headPriority(): number {
    return this.heap.length === 0 ? 0 : this.heap[0].job.priority;
  }

  /** Whether the job that would leave next is a rerun (it travels alone). */
  nextIsRerun(): boolean {
    return this.heap.length > 0 && this.heap[0].job.rerun;
  }

  /** Queues a request of `priority`, `started` requests into the pool's life. */
  push(
    request: WorkRequest<readonly unknown[]>,
    ticket: number,
    task: string,
    transfer: readonly Transferable[] | undefined,
    queuedAt: number,
    priority: number,
    started: number,
  ): void {
    const job = new QueuedJob(task, request, ticket, transfer);
    job.queuedAt = queuedAt;
    job.priority = priority;
    this.insert({ job, rank: priority - started / AGING_STARTS, seq: this.seq++ });
    this.count.queued++;
  }

  /** Takes up to `size` jobs, highest rank first; a rerun alone, and none after the first that is not a rerun. */
  take(size: number): QueuedJob[] {
    const taken: QueuedJob[] = [];
    if (this.heap.length === 0 || size < 1) return taken;
    if (this.nextIsRerun()) {
      taken.push(this.pop().job);
    } else {
      while (taken.length < size && this.heap.length > 0 && !this.heap[0].job.rerun) taken.push(this.pop().job);
    }
    this.count.queued -= taken.length;
    return taken;
  }

  /** Puts jobs back (taken jobs that could not start keep their places; reruns go first). */
  putBack(jobs: readonly QueuedJob[]): void {
    for (const job of jobs) {
      const place = this.places.get(job);
      const rank = job.rerun ? Infinity : (place?.rank ?? job.priority);
      this.insert({ job, rank, seq: place?.seq ?? this.seq++ });
    }
    this.count.queued += jobs.length;
  }

  /** Takes the job queued first (the overflow policy `'drop-oldest'`), whatever its rank. */
  shift(): QueuedJob | undefined {
    if (this.heap.length === 0) return undefined;
    let oldest = 0;
    for (let at = 1; at < this.heap.length; at++) if (this.heap[at].seq < this.heap[oldest].seq) oldest = at;
    const entry = this.removeAt(oldest);
    this.count.queued--;
    return entry.job;
  }

  /** Empties the queue and returns what was in it, in the order it would have left. */
  drain(): QueuedJob[] {
    const jobs: QueuedJob[] = [];
    while (this.heap.length > 0) jobs.push(this.pop().job);
    this.count.queued -= jobs.length;
    return jobs;
  }

  private insert(entry: Entry): void {
    this.places.set(entry.job, entry);
    const { heap } = this;
    heap.push(entry);
    this.up(heap.length - 1);
  }

  private pop(): Entry {
    return this.removeAt(0);
  }

  private removeAt(at: number): Entry {
    const { heap } = this;
    const entry = heap[at];
    const last = heap.pop()!;
    if (at < heap.length) {
      heap[at] = last;
      this.down(at);
      this.up(at);
    }
    return entry;
  }

  /** Whether `a` leaves before `b`. */
  private static before(a: Entry, b: Entry): boolean {
    return a.rank > b.rank || (a.rank === b.rank && a.seq < b.seq);
  }

  private up(at: number): void {
    const { heap } = this;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!PriorityJobQueue.before(heap[at], heap[parent])) return;
      [heap[at], heap[parent]] = [heap[parent], heap[at]];
      at = parent;
    }
  }

  private down(at: number): void {
    const { heap } = this;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let best = at;
      if (left < heap.length && PriorityJobQueue.before(heap[left], heap[best])) best = left;
      if (right < heap.length && PriorityJobQueue.before(heap[right], heap[best])) best = right;
      if (best === at) return;
      [heap[at], heap[best]] = [heap[best], heap[at]];
      at = best;
    }
  }
}
