/**
 * What a run message of a stream pipeline carries (`poolPipe`), beside its
 * batch: part of the wire format (`src/wire.ts` re-exports it), kept apart
 * so the executor seam can name it without importing the wire.
 *
 * @module
 */

/** The session a stream batch feeds, and how its instances are run. */
export interface StreamRun {
  /** The pipeline's session: one per `poolPipe` subscription. */
  readonly session: number;
  /** Complete an instance's input after this many ms without a value (`keyIdleTimeout`), on the worker's clock. */
  readonly idle?: number;
  /** The stream has no keys: the operator is given no key (every value has the same internal one). */
  readonly unkeyed?: true;
}
