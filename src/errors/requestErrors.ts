/**
 * Errors that end one request: its task threw, its data cannot cross
 * between threads, it ran too long or was cancelled, a bounded queue had no
 * room for it, or a callback given for it threw. Each is that request's
 * one outcome; the pipeline goes on.
 *
 * @module
 */
import type { Key } from '../keys.js';
import type { SerializedError } from '../serializedError.js';
import { PoolError } from './PoolError.js';
import { textOf, workerName } from './text.js';

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
   * @param requestId - The failed request's id (`undefined` for a stream task's instance, named by `key`).
   * @param remote - The error as the worker sent it.
   * @param key - The key of the stream task's instance that failed (`poolPipe`).
   */
  constructor(
    /** The task's name. */
    readonly task: string,
    /** The failed request's id; `undefined` when a stream task's instance failed (see `key`). */
    readonly requestId: number | undefined,
    remote: SerializedError,
    /** The key of the stream task's instance that failed, for `poolPipe` (`undefined` in a stream without keys). */
    readonly key?: Key,
  ) {
    const subject = requestId !== undefined ? `request ${requestId}` : key !== undefined ? `key ${JSON.stringify(key)}` : 'its stream';
    super(`Task "${task}" failed for ${subject}: ${remote.name}: ${remote.message || '(no message)'}`, {
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
 * terminated and replaced, so an endless loop cannot keep a worker for ever;
 * a task that reads its signal (`this.signal`) sees it abort first, and
 * keeps its worker if it stops within `cancelGrace` (`signalled` is then true).
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
   * @param signalled - The task reads its signal: it was aborted, and the worker waits `cancelGrace` for it.
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
    /** The task reads its signal (`this.signal`): it was aborted, and the worker is kept if the task stops within its `cancelGrace`. */
    readonly signalled?: boolean,
  ) {
    super(
      `Task "${task}" for request ${requestId} ran longer than its timeout of ${timeout} ms; ` +
        (signalled
          ? `its signal was aborted, and ${workerName(worker).toLowerCase()} is terminated and replaced unless the task stops within its cancelGrace.`
          : `${workerName(worker).toLowerCase()} was terminated and replaced.`) +
        ' Raise the timeout, or make the task stop sooner.',
    );
  }
}

/**
 * The request was cancelled before it finished: while it ran (`cancel:
 * 'terminate'`; no one receives this outcome from `poolMap`), while it
 * waited (`pool.cancelPending()`), or by your own code (the recipe in
 * docs/recipes.md that gives cancelled requests an outcome).
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
   * @param signalled - The task reads its signal: it was aborted, and the worker waits `cancelGrace` for it.
   */
  constructor(
    /** The request that was cancelled. */
    readonly requestId: number,
    /** The pool's number for the worker, when known. */
    readonly worker?: number,
    /** The task reads its signal (`this.signal`): it was aborted, and the worker is kept if the task stops within its `cancelGrace`. */
    readonly signalled?: boolean,
  ) {
    super(
      worker === undefined
        ? `Request ${requestId} was cancelled before it finished.`
        : signalled
          ? `Request ${requestId} was cancelled while it ran; its signal was aborted, and ${workerName(worker).toLowerCase()} is terminated and replaced unless the task stops within its cancelGrace.`
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
   * @param queue - Which queue: `'pipeline'` (the default) or `'pool'`.
   */
  constructor(
    /** The queue's bound. */
    readonly size: number,
    /** The request that did not fit, when there was one. */
    readonly requestId?: number,
    /** Why: no room and no waiting (`block: false`), a wait that timed out, or a drop by the overflow policy. */
    readonly reason: 'full' | 'timeout' | 'dropped' = 'full',
    /** Which queue was full: the pipeline's own (poolMap's `queue`, ThreadPool's `qSize`), or the pool's, over all its pipelines (`maxQueue`). */
    readonly queue: 'pipeline' | 'pool' = 'pipeline',
  ) {
    const who = requestId === undefined ? 'A request' : `Request ${requestId}`;
    const why =
      reason === 'timeout'
        ? 'waited for room until its timeout'
        : reason === 'dropped'
          ? 'was dropped by the overflow policy'
          : 'found it full and did not wait';
    super(
      queue === 'pool'
        ? `${who} ${why}: the pool's queue holds at most ${size} requests over all its pipelines (maxQueue). Raise maxQueue, pull the source (pullFrom) so it waits for room, or slow the producer.`
        : `${who} ${why}: the request queue holds at most ${size}. Wait for room (block: true), raise the bound, or slow the producer.`,
    );
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
