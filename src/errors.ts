/**
 * Every error this library creates, each with a stable `code`.
 *
 * Match on `code` (or `instanceof`), never on the message: messages say what
 * happened, to which request, and what to do, and may be reworded.
 *
 * @module
 */
import { isErrorLike, type SerializedError } from './serializedError.js';

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

/**
 * Describes a value for an error message: the value and its type. Total:
 * it never throws, whatever it is given (a revoked proxy, an object whose
 * getters throw, a symbol).
 */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return `"${value.length > 80 ? `${value.slice(0, 77)}...` : value}" (string)`;
    if (typeof value === 'function') return `a function`;
    if (value === null) return 'null';
    if (Array.isArray(value)) return `an array of length ${value.length}`;
    if (typeof value === 'object') return `an object`;
    return `${String(value)} (${typeof value})`;
  } catch {
    return `a ${typeof value} that cannot be inspected`;
  }
}

/**
 * Text for anything a worker, a queue or a user may hand over as an error,
 * for a message: `name: message` for an error-like value, else its text.
 * Total: null-prototype objects (on which `String()` throws), objects whose
 * `toString` or getters throw, symbols and revoked proxies all give text.
 * A final period is dropped, so the text reads inside a sentence.
 */
export function textOf(value: unknown): string {
  let text: string;
  try {
    if (isErrorLike(value)) text = `${value.name}: ${value.message}`;
    else if (typeof value === 'string') text = value;
    else if (typeof value === 'symbol') text = value.toString();
    else if (typeof value === 'object' && value !== null) text = objectText(value);
    else text = String(value);
  } catch {
    text = `(a ${typeof value} that cannot be read)`;
  }
  return text.replace(/\.+$/, '');
}

function objectText(value: object): string {
  const message = (value as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined && json !== '{}') return json.length > 200 ? `${json.slice(0, 197)}...` : json;
  } catch {
    // Not JSON (a cycle, a BigInt, a getter that throws): fall through.
  }
  try {
    return String(value);
  } catch {
    return '(an object without a text form)';
  }
}

/**
 * An option was unknown, missing, of the wrong type or out of range; or a
 * value given to the library (a request) had the wrong shape. Thrown
 * synchronously where the option is given.
 *
 * @category Errors
 */
export class InvalidOptionError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_INVALID_OPTION' as const;

  /**
   * Describes the bad option in the message: its name, what was expected, what was given, and a hint.
   *
   * @param option - The option's name.
   * @param value - The value that was given.
   * @param expected - What was expected instead, in words.
   * @param hint - For an unknown option, the option it most likely meant (`Did you mean "batch"?`), or how to get the same.
   */
  constructor(
    /** The option's name, as the user wrote it (`size`, `createWorkers(n)`, `batchSize`). */
    readonly option: string,
    /** The value that was given. */
    readonly value: unknown,
    /** What was expected instead, in words. */
    readonly expected: string,
    /** For an unknown option: the option it most likely meant, or how to get the same today. */
    readonly hint?: string,
  ) {
    super(`Invalid option "${option}": expected ${expected}, got ${describeValue(value)}.${hint === undefined ? '' : ` ${hint}`}`);
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
 *
 * @category Errors
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

/**
 * The task name is not one the worker module exposes.
 *
 * @category Errors
 */
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
 *
 * @category Errors
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
    super(`Worker ${file} failed to start: ${textOf(cause)}`, { cause });
  }
}

/**
 * The worker running the request died (it exited, crashed, or threw outside any task).
 *
 * @category Errors
 */
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
      `${workerName(worker)} running request ${requestId} ${reason}${cause === undefined ? '' : `: ${textOf(cause)}`}. ` +
        'The pool replaced the worker. A request whose worker dies is run once more, alone, unless rerunOnCrash is false; ' +
        'look for process.exit, errors thrown from timers, or memory use (resourceLimits) in the task.',
      { cause },
    );
  }
}

/**
 * The pool was closed before the request could finish.
 *
 * @category Errors
 */
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

/**
 * The request's arguments, or the task's result, cannot cross the thread boundary (structured clone).
 *
 * @category Errors
 */
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
    super(
      `${subject} of request ${requestId} cannot be sent between threads (structured clone): ${textOf(cause)}. ` +
        'Send plain data: functions, symbols and detached buffers cannot be sent; class instances arrive as plain objects, without their prototype or methods.',
      { cause },
    );
  }
}

/**
 * The request ran longer than its `timeout`. The worker it was stuck in is
 * terminated and replaced, so an endless loop cannot keep a worker for ever.
 *
 * @category Errors
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

/**
 * The request was cancelled before it finished: while it ran (`cancel:
 * 'terminate'`; no one receives this outcome from `poolMap`), or by your own
 * code (the README's recipe that gives cancelled requests an outcome).
 *
 * @category Errors
 */
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
    super(
      worker === undefined
        ? `Request ${requestId} was cancelled before it finished.`
        : `Request ${requestId} was cancelled while it ran; ${workerName(worker).toLowerCase()} was terminated and replaced.`,
    );
  }
}

/**
 * A bounded request queue is full (the seed's `Queue.Full`).
 *
 * @category Errors
 */
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

/**
 * `poll()` found nothing to hand over: no request is queued, running or waiting to be polled.
 *
 * @category Errors
 */
export class NoResultsPending extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_NO_RESULTS_PENDING' as const;

  /** Takes no arguments: the message says what to do. */
  constructor() {
    super('No results pending: every request put so far has been handed to its callback.');
  }
}

/**
 * `poll()` found requests pending but no worker to run them.
 *
 * @category Errors
 */
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
 *
 * @category Errors
 */
export class QueueConnectionError extends PoolError {
  readonly code = 'ERR_QUEUE_CONNECTION' as const;

  constructor(
    /** The server's address, `host:port`. */
    readonly address: string,
    cause: unknown,
  ) {
    super(`Cannot connect to Redis at ${address} (${textOf(cause)}): is redis-server running and reachable there?`, { cause });
  }
}

/**
 * A function the user gave as an option, called for each request (today
 * `poolMap`'s `transfer`), threw for this request. The request does not run;
 * this is its one outcome, and the pipeline goes on.
 *
 * @category Errors
 */
export class CallbackError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_CALLBACK_FAILED' as const;

  /**
   * Names the option, the request and what it threw in the message.
   *
   * @param option - The option whose function threw (`'transfer'`).
   * @param requestId - The request it threw for.
   * @param cause - What it threw (becomes `cause`).
   */
  constructor(
    /** The option whose function threw (`'transfer'`). */
    readonly option: string,
    /** The request it threw for. */
    readonly requestId: number,
    cause: unknown,
  ) {
    super(
      `The "${option}" option threw for request ${requestId}: ${textOf(cause)}. The request did not run; fix the function, or let it return for every request.`,
      { cause },
    );
  }
}

/**
 * A message that crossed a boundary of the pool was malformed: a job result
 * a queue pool read back from Redis, or a reply from a worker thread; or the
 * other end refused what it was sent as malformed (a worker host refusing a
 * job past its limits). The requests it was for end with this error (they
 * are not retried: whoever answered them cannot be trusted to answer again,
 * and a refused job would be refused again).
 *
 * @category Errors
 */
export class ProtocolError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_PROTOCOL' as const;

  /**
   * Names the boundary, the request and what was wrong in the message.
   *
   * @param boundary - `'thread'` (a worker thread) or `'queue'` (a BullMQ job and its worker host).
   * @param reason - What was wrong, in words.
   * @param requestId - The request it was for, when known.
   * @param refused - `true` when the other end refused what this side sent (a host refusing a job), rather than answering malformed.
   */
  constructor(
    /** Where the message crossed: a worker thread's port, or a BullMQ queue. */
    readonly boundary: 'thread' | 'queue',
    /** What was wrong, in words. */
    readonly reason: string,
    /** The request it was for, when known. */
    readonly requestId?: number,
    /** Whether the other end refused what was sent (rather than answering malformed). */
    readonly refused = false,
  ) {
    const about = requestId === undefined ? '' : ` for request ${requestId}`;
    const what = refused
      ? `The ${boundary === 'thread' ? 'worker thread' : 'worker host'} refused the ${boundary === 'thread' ? 'run message' : 'job'}${about}: ${reason}. ` +
        (boundary === 'thread'
          ? 'The worker runs an rxjs-threadpool of another version, or something else posts on its port.'
          : "Keep jobs within the hosts' limits (--max-job-bytes, --max-job-requests; smaller batches or arguments), and run hosts and producers of the same version.")
      : `${boundary === 'thread' ? 'A worker thread sent a malformed reply' : 'A worker host returned a malformed job result'}${about}: ${reason}. ` +
        (boundary === 'thread'
          ? 'Does the worker module post its own messages on the worker port?'
          : 'Is every host on this queue running rxjs-threadpool-serve of the same version, and is the Redis server closed to other writers?');
    super(what);
  }
}

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
