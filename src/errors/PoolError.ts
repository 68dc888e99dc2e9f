/**
 * The base class of every error this library creates, and its codes.
 *
 * @module
 */

/** The stable codes of {@link PoolError} subclasses. */
export type PoolErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_TASK_FAILED'
  | 'ERR_UNKNOWN_TASK'
  | 'ERR_WORKER_START'
  | 'ERR_WORKER_CRASHED'
  | 'ERR_POOL_CLOSED'
  | 'ERR_DATA_CLONE'
  | 'ERR_TASK_TIMEOUT'
  | 'ERR_TASK_CANCELLED'
  | 'ERR_QUEUE_FULL'
  | 'ERR_NO_RESULTS_PENDING'
  | 'ERR_NO_WORKERS_AVAILABLE'
  | 'ERR_QUEUE_CONNECTION'
  | 'ERR_CALLBACK_FAILED'
  | 'ERR_PROTOCOL';

/**
 * Base class of every error this library creates. Its `name` is the
 * subclass's name (`'TaskError'`, …).
 *
 * @example
 * ```ts
 * errors$.subscribe(({ request, error }) => {
 *   if (error instanceof PoolError && error.code === 'ERR_TASK_TIMEOUT') retryLater(request);
 *   else console.error(error);
 * });
 * ```
 * @category Errors
 */
export abstract class PoolError extends Error {
  /** A stable code naming the kind of failure. */
  abstract readonly code: PoolErrorCode;

  /**
   * Called by the subclasses; sets `name` to the subclass's name.
   *
   * @param message - What happened, to which request, and what to do.
   * @param options - `cause`: the underlying error, as for `Error`.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
