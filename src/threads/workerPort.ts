/**
 * How the pool drives a worker, whatever made it: the one face every
 * worker is adapted to (`workerSource`), and the checked source that makes
 * them.
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

/** A checked worker source. */
export interface ResolvedSource {
  /** The worker file, when known (for error messages). */
  readonly file: string | undefined;
  /** Makes a new worker; throws when it cannot. */
  create(): WorkerPort;
}

/**
 * Makes a worker keep the process alive (`true`: it is starting, busy or
 * tearing down) or not (`false`: idle). Node workers can; other workers
 * never keep a page alive, and are left alone.
 */
export function holdProcess(worker: WorkerPort | undefined, hold: boolean): void {
  const node = worker as Partial<{ ref(): void; unref(): void }> | undefined;
  if (hold) node?.ref?.();
  else node?.unref?.();
}
