/**
 * Every error this library creates, each with a stable `code`.
 *
 * Match on `code` (or `instanceof`), never on the message: messages say what
 * happened, to which request, and what to do, and may be reworded.
 *
 * @module
 */
import { isErrorLike, type SerializedError } from './protocol.js';

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
  | 'ERR_QUEUE_CONNECTION';

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

/** Describes a value for an error message: the value and its type. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}" (string)`;
  if (typeof value === 'function') return `a function`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `an object`;
  return `${String(value)} (${typeof value})`;
}

/** An option was missing, of the wrong type or out of range. Thrown synchronously. */
export class InvalidOptionError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_INVALID_OPTION' as const;

  /**
   * Describes the bad option in the message: its name, what was expected, and what was given.
   *
   * @param option - The option's name.
   * @param value - The value that was given.
   * @param expected - What was expected instead, in words.
   */
  constructor(
    /** The option's name, as the user wrote it (`size`, `createWorkers(n)`). */
    readonly option: string,
    /** The value that was given. */
    readonly value: unknown,
    /** What was expected instead, in words. */
    readonly expected: string,
  ) {
    super(`Invalid option "${option}": expected ${expected}, got ${describeValue(value)}.`);
  }
}

function workerName(worker: number | undefined): string {
  return worker === undefined ? 'The worker' : `Worker #${worker}`;
}

/** Rebuilds a worker's error on this side: name, message, stack, `code` and its other cloneable fields. */
export function errorFromRemote(remote: SerializedError): Error {
  const error = new Error(remote.message);
  error.name = remote.name;
  if (remote.stack !== undefined) error.stack = remote.stack;
  else delete error.stack;
  Object.assign(error, remote.props);
  if (remote.code !== undefined) (error as Error & { code?: unknown }).code = remote.code;
  return error;
}

/**
 * The task threw (or its promise rejected) in the worker.
 *
 * `cause` is the worker's error rebuilt on this side, with its `name`,
 * `message`, `stack` and `code`; `stack` is the worker's stack too.
 */
export class TaskError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_TASK_FAILED' as const;
  /** The worker's error, rebuilt on this side: its `name`, `message`, `stack`, `code` and other cloneable fields. */
  declare readonly cause: Error & {
    /** The worker error's `code` (`'ENOENT'`, your own codes), when it had one. */
    code?: string | number;
  };
  /** When the task threw something that is not an Error (a string, `undefined`, an object): that value. */
  readonly thrown?: {
    /** The thrown value itself when it could be cloned, else its text. */
    readonly value: unknown;
  };

  /**
   * The pool builds these from what the worker sends; build one yourself only
   * to fake a failure in a test.
   *
   * @param task - The task's name.
   * @param requestId - The failed request's id.
   * @param remote - The error as the worker sent it.
   */
  constructor(
    /** The task's name. */
    readonly task: string,
    /** The failed request's id. */
    readonly requestId: number,
    remote: SerializedError,
  ) {
    super(`Task "${task}" failed for request ${requestId}: ${remote.name}: ${remote.message || '(no message)'}`, {
      cause: errorFromRemote(remote),
    });
    if (remote.nonError) this.thrown = remote.nonError;
    if (remote.stack !== undefined) this.stack = `${this.name}: ${this.message}\n${stackFrames(remote.stack)}`;
  }
}

function stackFrames(stack: string): string {
  const at = stack.indexOf('\n    at ');
  return at === -1 ? '' : stack.slice(at + 1);
}

/** The task name is not one the worker module exposes. */
export class UnknownTaskError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_UNKNOWN_TASK' as const;

  /**
   * Lists the known task names in the message.
   *
   * @param task - The task name that was asked for.
   * @param known - The names the worker module exposes.
   */
  constructor(
    /** The task name that was asked for. */
    readonly task: string,
    /** The names the worker module exposes. */
    readonly known: readonly string[],
  ) {
    super(`Unknown task "${task}": the worker module exposes ${known.length === 0 ? 'no tasks' : known.map((name) => `"${name}"`).join(', ')}.`);
  }
}

/**
 * A worker could not start: its file is missing, does not compile, throws
 * while loading, or does not call `exposeTasks()`. The pool stops spawning
 * and every request it holds ends with this error.
 */
export class WorkerStartError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_WORKER_START' as const;

  /**
   * Names the file and the cause in the message.
   *
   * @param file - The worker file, when known.
   * @param cause - Why it could not start (becomes `cause`).
   */
  constructor(
    /** The worker file, when known. */
    readonly file: string,
    cause: unknown,
  ) {
    super(`Worker ${file} failed to start: ${causeText(cause)}`, { cause });
  }
}

/** The worker running the request died (it exited, crashed, or threw outside any task). */
export class WorkerCrashedError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_WORKER_CRASHED' as const;

  /**
   * Names the worker, the request and what happened in the message, with what to look for.
   *
   * @param requestId - The request that was running on the worker.
   * @param reason - What happened to the worker, in words (`'exited with code 1'`).
   * @param cause - The worker's error, when there was one (becomes `cause`).
   * @param worker - The pool's number for the worker, when known.
   */
  constructor(
    /** The request that was running on the worker. */
    readonly requestId: number,
    /** What happened to the worker, in words. */
    readonly reason: string,
    cause?: unknown,
    /** The pool's number for the worker (1, 2, … in start order), when known. */
    readonly worker?: number,
  ) {
    super(
      `${workerName(worker)} running request ${requestId} ${reason}${cause === undefined ? '' : `: ${causeText(cause)}`}. ` +
        'The pool replaced the worker. A request whose worker dies is run once more, alone, unless rerunOnCrash is false; ' +
        'look for process.exit, errors thrown from timers, or memory use (resourceLimits) in the task.',
      { cause },
    );
  }
}

/** The pool was closed before the request could finish. */
export class PoolClosedError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_POOL_CLOSED' as const;

  /**
   * Names the request, when there is one, in the message.
   *
   * @param requestId - The request that could not finish; none when the
   * error is about the pool itself (`createWorkers` after `close()`).
   */
  constructor(
    /** The request that could not finish, when there was one. */
    readonly requestId?: number,
  ) {
    super(requestId === undefined ? 'The pool is closed.' : `The pool was closed before request ${requestId} finished.`);
  }
}

/** The request's arguments, or the task's result, cannot cross the thread boundary (structured clone). */
export class DataCloneError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_DATA_CLONE' as const;

  /**
   * Names the request and what could not be cloned in the message.
   *
   * @param requestId - The request whose data could not be cloned.
   * @param what - `'arguments'` or `'result'`.
   * @param cause - The structured-clone error (becomes `cause`).
   * @param position - The position of the first argument that cannot be cloned, when known.
   */
  constructor(
    /** The request whose data could not be cloned. */
    readonly requestId: number,
    /** `'arguments'` or `'result'`. */
    readonly what: 'arguments' | 'result',
    cause: unknown,
    /** The position of the first argument that cannot be cloned, when known. */
    readonly position?: number,
  ) {
    const subject = what === 'result' ? 'The result' : position === undefined ? 'The arguments' : `Argument ${position}`;
    super(`${subject} of request ${requestId} cannot be sent between threads (structured clone): ${causeText(cause)}. Send plain data: no functions, symbols or class instances with private state.`, { cause });
  }
}

/**
 * The request ran longer than its `timeout`. The worker it was stuck in is
 * terminated and replaced, so an endless loop cannot keep a worker for ever.
 */
export class TaskTimeoutError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_TASK_TIMEOUT' as const;

  /**
   * Names the task, the request and the limit in the message.
   *
   * @param task - The task's name.
   * @param requestId - The request that timed out.
   * @param timeout - The limit, in ms (frames in virtual time).
   * @param worker - The pool's number for the worker, when known.
   */
  constructor(
    /** The task's name. */
    readonly task: string,
    /** The request that timed out. */
    readonly requestId: number,
    /** The limit, in ms (frames in virtual time). */
    readonly timeout: number,
    /** The pool's number for the worker, when known. */
    readonly worker?: number,
  ) {
    super(
      `Task "${task}" for request ${requestId} ran longer than its timeout of ${timeout} ms; ` +
        `${workerName(worker).toLowerCase()} was terminated and replaced. Raise the timeout, or make the task stop sooner.`,
    );
  }
}

/** The request was cancelled while it ran (`cancel: 'terminate'`); no one receives this outcome. */
export class TaskCancelledError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_TASK_CANCELLED' as const;

  /**
   * Names the request and the worker in the message.
   *
   * @param requestId - The request that was cancelled.
   * @param worker - The pool's number for the worker, when known.
   */
  constructor(
    /** The request that was cancelled. */
    readonly requestId: number,
    /** The pool's number for the worker, when known. */
    readonly worker?: number,
  ) {
    super(`Request ${requestId} was cancelled while it ran; ${workerName(worker).toLowerCase()} was terminated and replaced.`);
  }
}

/** A bounded request queue is full (the seed's `Queue.Full`). */
export class QueueFullError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_QUEUE_FULL' as const;

  /**
   * Names the request, the bound and the reason in the message, with what to do.
   *
   * @param size - The queue's bound.
   * @param requestId - The request that did not fit, when there was one.
   * @param reason - `'full'` (the default), `'timeout'` or `'dropped'`.
   */
  constructor(
    /** The queue's bound. */
    readonly size: number,
    /** The request that did not fit, when there was one. */
    readonly requestId?: number,
    /** Why: no room and no waiting (`block: false`), a wait that timed out, or a drop by the overflow policy. */
    readonly reason: 'full' | 'timeout' | 'dropped' = 'full',
  ) {
    const who = requestId === undefined ? 'A request' : `Request ${requestId}`;
    const why =
      reason === 'timeout'
        ? 'waited for room until its timeout'
        : reason === 'dropped'
          ? 'was dropped by the overflow policy'
          : 'found it full and did not wait';
    super(`${who} ${why}: the request queue holds at most ${size}. Wait for room (block: true), raise the bound, or slow the producer.`);
  }
}

/** `poll()` found nothing to hand over: no request is queued, running or waiting to be polled. */
export class NoResultsPending extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_NO_RESULTS_PENDING' as const;

  /** Takes no arguments: the message says what to do. */
  constructor() {
    super('No results pending: every request put so far has been handed to its callback.');
  }
}

/** `poll()` found requests pending but no worker to run them. */
export class NoWorkersAvailable extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_NO_WORKERS_AVAILABLE' as const;

  /**
   * Says how many requests wait, and to call `createWorkers(n)`.
   *
   * @param pending - How many requests are waiting.
   */
  constructor(
    /** How many requests are waiting. */
    readonly pending: number,
  ) {
    super(`No workers available to run the ${pending} pending request(s): call createWorkers(n).`);
  }
}

/**
 * A queue pool (`rxjs-threadpool/bullmq`) or a worker host could not reach
 * its Redis server at start (refused, unreachable, or no answer within the
 * connect timeout). Every request of the pool ends with this error.
 * (A connection lost later is not an error: it reconnects and loses nothing.)
 */
export class QueueConnectionError extends PoolError {
  readonly code = 'ERR_QUEUE_CONNECTION' as const;

  constructor(
    /** The server's address, `host:port`. */
    readonly address: string,
    cause: unknown,
  ) {
    super(`Cannot connect to Redis at ${address} (${causeText(cause)}): is redis-server running and reachable there?`, { cause });
  }
}

function causeText(cause: unknown): string {
  if (isErrorLike(cause)) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
