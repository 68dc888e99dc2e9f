/**
 * Errors of the pool and its workers: a worker that cannot start or died,
 * a closed pool, an imperative `poll()` with nothing to do, a Redis server
 * out of reach, a malformed message across a thread or queue boundary.
 *
 * @module
 */
import type { Key } from '../keys.js';
import { PoolError } from './PoolError.js';
import { textOf, workerName } from './text.js';

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
   * @param requestId - The request that was running on the worker (`undefined` for a stream task's instance).
   * @param reason - What happened to the worker, in words (`'exited with code 1'`).
   * @param cause - The worker's error, when there was one (becomes `cause`).
   * @param worker - The pool's number for the worker, when known.
   * @param stream - For a stream task's instance (`poolPipe`): its key and how many values it had been fed.
   */
  constructor(
    /** The request that was running on the worker; `undefined` for a stream task's instance (see `stream`). */
    readonly requestId: number | undefined,
    /** What happened to the worker, in words. */
    readonly reason: string,
    cause?: unknown,
    /** The pool's number for the worker (1, 2, … in start order), when known. */
    readonly worker?: number,
    /** For a stream task's instance that lived in the worker: its key (`undefined` in a stream without keys) and the values it had been fed. */
    readonly stream?: {
      /** The instance's key (`undefined` in a stream without keys). */
      readonly key: Key | undefined;
      /** How many values had been sent to it (fed, or in flight when the worker ended). */
      readonly fed: number;
    },
  ) {
    const running =
      stream === undefined
        ? `running request ${requestId}`
        : `holding the stream instance of ${stream.key === undefined ? 'the stream' : `key ${JSON.stringify(stream.key)}`} (fed ${stream.fed} value${stream.fed === 1 ? '' : 's'})`;
    super(
      `${workerName(worker)} ${running} ${reason}${cause === undefined ? '' : `: ${textOf(cause)}`}. ` +
        (stream === undefined
          ? 'The pool replaced the worker. A request whose worker dies is run once more, alone, unless rerunOnCrash is false; '
          : "The pool replaced the worker; the instance's state is lost, and the key's next value starts a fresh instance. ") +
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
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_QUEUE_CONNECTION' as const;

  /**
   * Names the server and why it could not be reached in the message.
   *
   * @param address - The server's address, `host:port`.
   * @param cause - Why the connection failed (becomes `cause`).
   */
  constructor(
    /** The server's address, `host:port`. */
    readonly address: string,
    cause: unknown,
  ) {
    super(`Cannot connect to Redis at ${address} (${textOf(cause)}): is redis-server running and reachable there?`, { cause });
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
