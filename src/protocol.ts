/**
 * The message shapes shared by the master side and the worker side.
 *
 * A worker module built by `exposeTasks` exposes two functions through
 * threads.js: `run(jobs)`, which runs a batch of requests one after another
 * and answers with one outcome per request, and `tasks()`, which lists the
 * task names. Errors travel in our own shape so their `code` survives
 * (threads.js's serializer keeps only name, message and stack).
 *
 * @module
 */

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string | number;
}

/** One request on the wire: the task's name and its arguments. */
export type WireJob = readonly [task: string, args: readonly unknown[]];

/** One request's outcome on the wire. */
export type WireOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError; readonly unknownTask?: readonly string[] };

/** What `exposeTasks` exposes through threads.js `expose`. */
export interface WorkerApi {
  run(jobs: readonly WireJob[]): WireOutcome[] | Promise<WireOutcome[]>;
  tasks(): string[];
}

/**
 * Whether a value looks like an error. Not `instanceof Error`: a DOMException
 * (`DataCloneError`) or an error from another realm is not one.
 */
export function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' && typeof (value as Error).name === 'string';
}

/** Turns anything thrown into a {@link SerializedError}, keeping `code`. */
export function serializeError(thrown: unknown): SerializedError {
  if (isErrorLike(thrown)) {
    const code = (thrown as Error & { code?: unknown }).code;
    return {
      name: thrown.name,
      message: thrown.message,
      stack: thrown.stack,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    };
  }
  return { name: 'Error', message: `A non-Error value was thrown: ${String(thrown)}` };
}
