/**
 * The turns between pipelines: the pipelines that have queued requests, in
 * a ring. Pipelines of the highest priority with work go first; pipelines of
 * equal priority take turns, one batch each, so one fast producer cannot
 * starve another pipeline on the same pool.
 *
 * @module
 */

/** What the rotation needs of a pipeline. */
export interface Turn {
  readonly priority: number;
}

/** The ring of pipelines with queued work, and whose turn is next. */
export class Rotation<P extends Turn> {
  private readonly ring: P[] = [];
  /** The ring's members, for a cheap membership test (written only with `ring`, in `add`, `remove` and `clear`). */
  private readonly members = new Set<P>();
  /** The position of the pipeline whose turn is next. */
  private cursor = 0;
  /** Members whose priority is not 0 (when none, turns are plain round-robin). */
  private prioritized = 0;

  /** Pipelines in the ring. */
  get size(): number {
    return this.ring.length;
  }

  /** Puts a pipeline in the ring, last in turn (its queue has work now); nothing when it is in already. */
  add(pipeline: P): void {
    if (this.members.has(pipeline)) return;
    this.members.add(pipeline);
    this.ring.push(pipeline);
    if (pipeline.priority !== 0) this.prioritized++;
  }

  /** Takes a pipeline out of the ring (its queue is empty, or it closed). */
  remove(pipeline: P): void {
    if (!this.members.delete(pipeline)) return;
    const at = this.ring.indexOf(pipeline);
    this.ring.splice(at, 1);
    if (at < this.cursor) this.cursor--;
    if (pipeline.priority !== 0) this.prioritized--;
  }

  /** Empties the ring and returns its pipelines. */
  clear(): P[] {
    this.cursor = 0;
    this.prioritized = 0;
    this.members.clear();
    return this.ring.splice(0);
  }

  /**
   * The pipeline whose turn it is among those `mayStart` accepts (and not in
   * `skip`), or `undefined`; the turn stays with it until {@link Rotation.passed}.
   */
  next(mayStart: (pipeline: P) => boolean, skip?: ReadonlySet<P>): P | undefined {
    const count = this.ring.length;
    let best: P | undefined;
    let bestAt = 0;
    for (let i = 0; i < count; i++) {
      if (this.cursor >= count) this.cursor = 0;
      const pipeline = this.ring[this.cursor];
      if (skip?.has(pipeline)) {
        // Waiting for something else (a worker of its own): the others go on meanwhile.
      } else if (this.prioritized === 0) {
        if (mayStart(pipeline)) return pipeline;
      } else if ((!best || pipeline.priority > best.priority) && mayStart(pipeline)) {
        best = pipeline;
        bestAt = this.cursor;
      }
      this.cursor++;
    }
    if (best) this.cursor = bestAt;
    return best;
  }

  /** The pipeline whose turn it was had it (or gave it up): the next one's turn. */
  passed(): void {
    this.cursor++;
  }
}
