/**
 * The turns between pipelines: the pipelines that have queued requests, in
 * a ring. Pipelines of the highest priority with work go first; pipelines of
 * equal priority take turns, one batch each, so one fast producer cannot
 * starve another pipeline on the same pool. A pipeline waiting for its turn
 * ages: it gains 1 in priority for every `AGING_STARTS` requests the pool
 * starts since its last turn (or since it had work), so a low-priority
 * pipeline still runs under a steady stream of high ones.
 *
 * @module
 */
import { AGING_STARTS } from './priorityQueue.js';

/** What the rotation needs of a pipeline. */
export interface Turn {
  /** Its priority now (for a pipeline whose requests each have one, its next request's). */
  readonly priority: number;
  /** Whether it takes turns by priority (when none does, turns are plain round-robin). */
  readonly ranked: boolean;
}

/** The ring of pipelines with queued work, and whose turn is next. */
export class Rotation<P extends Turn> {
  private readonly ring: P[] = [];
  /** The ring's members, for a cheap membership test (written only with `ring`, in `add`, `remove` and `clear`). */
  private readonly members = new Set<P>();
  /** The position of the pipeline whose turn is next. */
  private cursor = 0;
  /** Members that are ranked (when none, turns are plain round-robin). */
  private prioritized = 0;
  /** When each member last had its turn, or joined: the pool's starts then (for aging). */
  private readonly since = new Map<P, number>();

  /** @param starts - The requests the pool has started in its life: the clock of aging. */
  constructor(private readonly starts: () => number = () => 0) {}

  /** Pipelines in the ring. */
  get size(): number {
    return this.ring.length;
  }

  /** Puts a pipeline in the ring, last in turn (its queue has work now); nothing when it is in already. */
  add(pipeline: P): void {
    if (this.members.has(pipeline)) return;
    this.members.add(pipeline);
    this.ring.push(pipeline);
    if (pipeline.ranked) this.prioritized++;
    this.since.set(pipeline, this.starts());
  }

  /** Takes a pipeline out of the ring (its queue is empty, or it closed). */
  remove(pipeline: P): void {
    if (!this.members.delete(pipeline)) return;
    const at = this.ring.indexOf(pipeline);
    this.ring.splice(at, 1);
    if (at < this.cursor) this.cursor--;
    if (pipeline.ranked) this.prioritized--;
    this.since.delete(pipeline);
  }

  /** Empties the ring and returns its pipelines. */
  clear(): P[] {
    this.cursor = 0;
    this.prioritized = 0;
    this.members.clear();
    this.since.clear();
    return this.ring.splice(0);
  }

  /**
   * The pipeline whose turn it is among those `mayStart` accepts (and not in
   * `skip`), or `undefined`; the turn stays with it until {@link Rotation.passed}.
   */
  next(mayStart: (pipeline: P) => boolean, skip?: ReadonlySet<P>): P | undefined {
    const count = this.ring.length;
    let best: P | undefined;
    let bestPriority = 0;
    let bestAt = 0;
    const now = this.prioritized === 0 ? 0 : this.starts();
    for (let i = 0; i < count; i++) {
      if (this.cursor >= count) this.cursor = 0;
      const pipeline = this.ring[this.cursor];
      if (skip?.has(pipeline)) {
        // Waiting for something else (a worker of its own): the others go on meanwhile.
      } else if (this.prioritized === 0) {
        if (mayStart(pipeline)) return pipeline;
      } else {
        const priority = pipeline.priority + Math.floor((now - (this.since.get(pipeline) ?? now)) / AGING_STARTS);
        if ((!best || priority > bestPriority) && mayStart(pipeline)) {
          best = pipeline;
          bestPriority = priority;
          bestAt = this.cursor;
        }
      }
      this.cursor++;
    }
    if (best) this.cursor = bestAt;
    return best;
  }

  /** The pipeline whose turn it was had it (or gave it up): the next one's turn. */
  passed(): void {
    const pipeline = this.ring[this.cursor];
    if (pipeline && this.prioritized > 0) this.since.set(pipeline, this.starts());
    this.cursor++;
  }
}
