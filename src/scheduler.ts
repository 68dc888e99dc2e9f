/**
 * The one dispatch path: every request, from `poolMap` or `ThreadPool`,
 * waits here until the executor has an idle slot.
 *
 * Requests are queued per lane (one lane per subscriber); lanes are served
 * round-robin so one fast producer cannot starve another pipeline on the
 * same pool. Closing a lane drops its queued requests (they never start) and
 * discards the outcomes of its running ones.
 *
 * @module
 */
import type { Executor, Job, JobOutcome } from './executor';
import type { Outcome } from './outcomes';
import type { WorkRequest } from './requests';

/** Counters the scheduler keeps. */
export interface SchedulerCounts {
  queued: number;
  running: number;
  completed: number;
  failed: number;
}

interface Entry {
  readonly job: Job;
  readonly request: WorkRequest<readonly unknown[]>;
  readonly lane: Lane;
}

/** A subscriber's queue on the scheduler. */
export class Lane {
  /** @internal */ readonly queue: Entry[] = [];
  /** @internal */ head = 0;
  /** @internal */ running = 0;
  /** @internal */ ringed = false;
  /** @internal */ closed = false;

  /** @internal */
  constructor(
    private readonly scheduler: Scheduler,
    readonly task: string,
    /** @internal */ readonly deliver: (outcome: Outcome<readonly unknown[]>) => void,
  ) {}

  /** Requests queued in this lane, not yet started. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Requests of this lane not yet settled (queued or running). */
  get pending(): number {
    return this.queued + this.running;
  }

  /** Queues a request; its outcome is delivered through this lane. */
  submit(request: WorkRequest<readonly unknown[]>): void {
    this.scheduler.submit(this, request);
  }

  /** Drops the queued requests (they never start) and ignores running ones' outcomes. */
  close(): void {
    this.scheduler.closeLane(this);
  }
}

/** Queues requests and hands them to the executor's idle slots. */
export class Scheduler {
  readonly counts: SchedulerCounts = { queued: 0, running: 0, completed: 0, failed: 0 };
  private ring: Lane[] = [];
  private next = 0;
  private pumping = false;
  private again = false;
  private failure: Error | undefined;

  constructor(
    readonly executor: Executor,
    /** Called after every change of the counts (cheap; the pool decides whether to publish). */
    private readonly changed: () => void,
  ) {
    executor.attach({
      wake: () => {
        this.changed();
        this.pump();
      },
      fail: (error) => this.fail(error),
    });
  }

  /** Opens a lane for one subscriber. */
  openLane(task: string, deliver: (outcome: Outcome<readonly unknown[]>) => void): Lane {
    return new Lane(this, task, deliver);
  }

  /** @internal */
  submit(lane: Lane, request: WorkRequest<readonly unknown[]>): void {
    if (lane.closed) return;
    if (this.failure) {
      this.counts.failed++;
      this.changed();
      lane.deliver({ ok: false, request, error: this.failure });
      return;
    }
    lane.queue.push({ job: { id: request.id, task: lane.task, args: request.args }, request, lane });
    this.counts.queued++;
    if (!lane.ringed) {
      lane.ringed = true;
      this.ring.push(lane);
    }
    this.changed();
    this.pump();
  }

  /** @internal */
  closeLane(lane: Lane): void {
    if (lane.closed) return;
    lane.closed = true;
    const dropped = lane.queued;
    lane.queue.length = 0;
    lane.head = 0;
    this.counts.queued -= dropped;
    this.unring(lane);
    if (dropped > 0) this.changed();
  }

  /** Ends every queued request, and every later one, with `error`. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const lane of this.ring.splice(0)) {
      lane.ringed = false;
      while (lane.head < lane.queue.length) {
        const entry = lane.queue[lane.head++];
        this.counts.queued--;
        this.counts.failed++;
        if (!lane.closed) lane.deliver({ ok: false, request: entry.request, error });
      }
      lane.queue.length = 0;
      lane.head = 0;
    }
    this.changed();
  }

  private unring(lane: Lane): void {
    if (!lane.ringed) return;
    lane.ringed = false;
    const at = this.ring.indexOf(lane);
    this.ring.splice(at, 1);
    if (at < this.next) this.next--;
  }

  /** Hands queued requests to idle slots until one or the other runs out. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (this.ring.length > 0) {
          const slot = this.executor.acquire();
          if (!slot) break;
          if (this.next >= this.ring.length) this.next = 0;
          const lane = this.ring[this.next];
          const entry = lane.queue[lane.head++];
          if (lane.head === lane.queue.length) {
            lane.queue.length = 0;
            lane.head = 0;
            this.unring(lane);
          } else {
            this.next++;
          }
          this.counts.queued--;
          this.counts.running++;
          lane.running++;
          this.changed();
          slot.run([entry.job], (outcomes) => this.settle([entry], outcomes));
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private settle(entries: readonly Entry[], outcomes: readonly JobOutcome[]): void {
    for (let i = 0; i < entries.length; i++) {
      const { request, lane } = entries[i];
      const outcome = outcomes[i];
      this.counts.running--;
      lane.running--;
      if (outcome.ok) this.counts.completed++;
      else this.counts.failed++;
      if (!lane.closed) {
        lane.deliver(outcome.ok ? { ok: true, request, value: outcome.value } : { ok: false, request, error: outcome.error });
      }
    }
    this.changed();
    this.pump();
  }
}
