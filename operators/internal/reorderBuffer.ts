/**
 * Ordered output (`ordered: true`): outcomes arrive as requests finish and
 * leave in request order. An outcome that finished before an earlier one
 * waits here until every earlier one is out.
 *
 * @module
 */

/**
 * Holds outcomes by ticket (the request's place in arrival order,
 * from 0) and passes them on in that order.
 *
 * @typeParam O - An outcome.
 */
export class ReorderBuffer<O> {
  /** Finished outcomes waiting for an earlier one, by ticket. */
  private readonly held = new Map<number, O>();
  /** The ticket of the next outcome to pass on. */
  private nextTicket = 0;

  /** @param emit - Passes an outcome on, in order. It may re-enter {@link ReorderBuffer.add} (a feedback loop). */
  constructor(private readonly emit: (outcome: O) => void) {}

  /** Outcomes held back: finished, waiting for an earlier one. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Takes the outcome of request number `ticket` and passes on every
   * outcome that is now next in order.
   *
   * @returns Whether any held outcome left (the buffer has more room).
   */
  add(outcome: O, ticket: number): boolean {
    this.held.set(ticket, outcome);
    const heldBefore = this.held.size;
    let next: O | undefined;
    while ((next = this.held.get(this.nextTicket)) !== undefined) {
      this.held.delete(this.nextTicket++);
      this.emit(next);
    }
    return this.held.size < heldBefore;
  }
}
