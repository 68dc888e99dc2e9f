/**
 * How the thread runtime drives a thread, whatever made it: the one face
 * every worker is adapted to (`workerSource`), and the checked source that
 * makes them.
 *
 * @module
 */

/** How the pool itself calls a worker (a `WorkerLike`, adapted). */
export interface WorkerPort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  terminate(): unknown;
  addEventListener(type: string, listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: string, listener: (event: { data: unknown }) => void): void;
}

/** A checked source of threads. */
export interface ResolvedSource {
  /** The worker file, when known (for error messages). */
  readonly file: string | undefined;
  /** Makes a new worker; throws when it cannot. */
  create(): WorkerPort;
}
