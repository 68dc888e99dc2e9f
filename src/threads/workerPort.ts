/**
 * How the thread runtime drives a thread, whatever made it: the two faces
 * a worker comes with (`workerSource` checks a factory's by shape), and the
 * checked source that makes them.
 *
 * @module
 */

/** A Node worker (`worker_threads`', threads.js's): events through `on`. */
export interface NodeWorkerPort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  terminate(): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (data: unknown) => void): unknown;
}

/** A Web Worker: events through `addEventListener` (an `error` event's `error` made to say what happened, by `workerSource`). */
export interface WebWorkerPort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  terminate(): unknown;
  addEventListener(type: string, listener: (event: { data: unknown; error?: unknown }) => void): void;
}

/** How the pool itself calls a worker (a `WorkerLike`, checked). */
export type WorkerPort = NodeWorkerPort | WebWorkerPort;

/** Whether a worker speaks Node's face (`on`) rather than a Web Worker's. */
export function isNodeWorker(worker: WorkerPort): worker is NodeWorkerPort {
  return typeof (worker as Partial<NodeWorkerPort>).on === 'function';
}

/** A checked source of threads. */
export interface ResolvedSource {
  /** The worker file, when known (for error messages). */
  readonly file: string | undefined;
  /** Makes a new worker; throws when it cannot. */
  create(): WorkerPort;
}
