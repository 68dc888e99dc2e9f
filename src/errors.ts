/**
 * Every error this library creates, each with a stable `code`.
 *
 * Match on `code` (or `instanceof`), never on the message: messages say what
 * happened, to which request, and what to do, and may be reworded.
 *
 * @module
 */
import type { InvalidOptionError, UnknownTaskError } from './errors/optionErrors.js';
import type { PoolClosedError, ProtocolError, QueueConnectionError, WorkerCrashedError, WorkerStartError } from './errors/poolErrors.js';
import type { CallbackError, DataCloneError, QueueFullError, TaskCancelledError, TaskError, TaskTimeoutError } from './errors/requestErrors.js';

export { PoolError, type PoolErrorCode } from './errors/PoolError.js';
export { describeValue, textOf } from './errors/text.js';
export { InvalidOptionError, UnknownTaskError } from './errors/optionErrors.js';
export { CallbackError, DataCloneError, errorFromRemote, QueueFullError, TaskCancelledError, TaskError, TaskTimeoutError } from './errors/requestErrors.js';
export {
  NoResultsPending,
  NoWorkersAvailable,
  PoolClosedError,
  ProtocolError,
  QueueConnectionError,
  WorkerCrashedError,
  WorkerStartError,
} from './errors/poolErrors.js';

/**
 * What a {@link Failure}'s `error` can be: one of this library's errors.
 * Narrow it by `code` (or `instanceof`):
 *
 * ```ts
 * if (!outcome.ok && outcome.error.code === 'ERR_TASK_FAILED') console.log(outcome.error.cause.code);
 * ```
 *
 * @category Errors
 */
export type FailureError =
  | TaskError
  | UnknownTaskError
  | WorkerStartError
  | WorkerCrashedError
  | PoolClosedError
  | DataCloneError
  | TaskTimeoutError
  | TaskCancelledError
  | QueueFullError
  | QueueConnectionError
  | InvalidOptionError
  | CallbackError
  | ProtocolError;
