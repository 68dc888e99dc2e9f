/**
 * The messages between a pool's master side and its workers, imported by
 * both sides (`src/workerExecutor/` and `src/worker/`), whatever runtime
 * carries them (a thread's port, a child process's IPC channel).
 *
 * A worker posts a `ready` message, unasked, once its module has loaded and
 * its `setup` has finished, so a new worker's first request waits for no
 * round trip. Requests travel in `run` messages (a batch of requests), their
 * outcomes in `done` messages (one outcome per request), both in the wire
 * format of `src/wire.ts` inside the envelope defined here (the tag, the
 * message's id, flags). A worker being stopped gracefully is sent
 * `teardown` and answers `torn-down`; an error its code throws outside any
 * task reaches the master as `uncaught`. Errors travel in our own shape, so
 * their `code` and extra fields survive.
 *
 * Both ends check what they receive before acting on it: the worker each
 * run message (`batchProblem`), the master the ready message
 * ({@link readyProblem}) and each reply ({@link doneProblem},
 * {@link isProgressFor}).
 *
 * @module
 */
import { KEY_GROUPS } from './keys.js';
import {
  type EncodedBatch,
  encodeBatch,
  isSerializedError,
  kindOf,
  outcomesProblem,
  type SerializedError,
  type StreamCloseFields,
  type StreamEndedFields,
  type StreamOutputFields,
  type StreamRun,
  type WireJob,
  type WireOutcomes,
} from './wire.js';

/** Tags of our messages. */
export const RUN = 'rxjs-threadpool:run';
export const DONE = 'rxjs-threadpool:done';
export const PROGRESS = 'rxjs-threadpool:progress';
export const READY = 'rxjs-threadpool:ready';
export const RELEASE = 'rxjs-threadpool:release';
export const RELEASED = 'rxjs-threadpool:released';
export const STREAM_OUTPUT = 'rxjs-threadpool:stream-output';
export const STREAM_ENDED = 'rxjs-threadpool:stream-ended';
export const STREAM_CLOSE = 'rxjs-threadpool:stream-close';
export const TEARDOWN = 'rxjs-threadpool:teardown';
export const TORN_DOWN = 'rxjs-threadpool:torn-down';
export const UNCAUGHT = 'rxjs-threadpool:uncaught';
export const CANCELLABLE = 'rxjs-threadpool:cancellable';
export const ABORT = 'rxjs-threadpool:abort';

/** Whether a message carries one of our tags (a worker that posts another before its ready message is not a tasks module). */
export function isTagged(message: unknown): boolean {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('rxjs-threadpool:');
}

/**
 * Worker → master, once, unasked: the module has loaded and its `setup` has
 * finished (`tasks`, its task names), or it cannot serve (`error`). The
 * worker posts it as soon as it knows, so no round trip stands between a
 * new worker and its first request.
 */
export type ReadyMessage = { readonly type: typeof READY } & (
  | {
      readonly tasks: readonly string[];
      /** The module declared `keyReleased`: the master tells it of each key group it loses (else it need not). */
      readonly releases?: true;
      /** The module declared a `teardown`: a worker stopped while idle is sent a {@link TeardownMessage} first. */
      readonly teardown?: true;
    }
  | { readonly error: SerializedError }
);

/** The most task names a ready message may list. */
const MAX_TASK_NAMES = 10_000;

/** What is wrong with a {@link ReadyMessage}, in words, or `undefined` when it is well-formed. */
export function readyProblem(message: {
  readonly tasks?: unknown;
  readonly error?: unknown;
  readonly releases?: unknown;
  readonly teardown?: unknown;
}): string | undefined {
  const { tasks, error, releases, teardown } = message;
  if (tasks === undefined) return isSerializedError(error) ? undefined : `error must be a serialized error, got ${kindOf(error)}`;
  if (releases !== undefined && releases !== true) return `releases must be true when present, got ${kindOf(releases)}`;
  if (teardown !== undefined && teardown !== true) return `teardown must be true when present, got ${kindOf(teardown)}`;
  if (!Array.isArray(tasks)) return `tasks must be an array of names, got ${kindOf(tasks)}`;
  if (tasks.length > MAX_TASK_NAMES) return `${tasks.length} task names, more than the ${MAX_TASK_NAMES} accepted`;
  for (let i = 0; i < tasks.length; i++) if (typeof tasks[i] !== 'string') return `tasks[${i}] must be a task name, got ${kindOf(tasks[i])}`;
  return undefined;
}

/** What a run message asks besides its requests. */
export interface RunFlags {
  /** Someone listens for progress: post what generator tasks yield. */
  readonly progress?: true;
  /** Report the worker's heap use with the outcomes (for recycling by memory). */
  readonly memory?: true;
  /**
   * The id of the run message this one continues (a batch posted in several
   * parts): the worker runs it once that one has finished, so a batch's
   * requests run one after another however many messages carry them.
   */
  readonly follows?: number;
  /** The batch feeds a stream task's instances (`poolPipe`): its session and options. */
  readonly stream?: StreamRun;
}

/** Master → worker: run a batch of requests (or a part of one), in order. */
export interface RunMessage extends EncodedBatch, RunFlags {
  readonly type: typeof RUN;
  /** The message's id, which its replies name. */
  readonly batch: number;
}

/** Encodes a batch of `{ task, args }` as a {@link RunMessage} with the id `batch`. */
export function encodeRun(batch: number, jobs: readonly WireJob[], flags?: RunFlags): RunMessage {
  return { type: RUN, batch, ...encodeBatch(jobs), ...flags };
}

/**
 * Master → worker: the worker no longer owns the keys of these key groups
 * (they move to another worker): it runs its `keyReleased` for each key of
 * them it has seen, then answers with a {@link ReleasedMessage} of the same
 * id. No request of those keys reaches it in between.
 */
export interface ReleaseMessage {
  readonly type: typeof RELEASE;
  readonly id: number;
  readonly groups: readonly number[];
}

/** Worker → master: the release `id` is done (every `keyReleased` it called has returned or settled). */
export interface ReleasedMessage {
  readonly type: typeof RELEASED;
  readonly id: number;
}

/** What is wrong with a {@link ReleaseMessage}, in words, or `undefined` when it is well-formed (checked by the worker). */
export function releaseProblem(message: { readonly id?: unknown; readonly groups?: unknown }): string | undefined {
  const { id, groups } = message;
  if (typeof id !== 'number' || !Number.isInteger(id)) return `id must be an integer, got ${kindOf(id)}`;
  if (!Array.isArray(groups)) return `groups must be an array, got ${kindOf(groups)}`;
  if (groups.length > KEY_GROUPS) return `${groups.length} groups, more than the ${KEY_GROUPS} there are`;
  for (let i = 0; i < groups.length; i++) {
    const group: unknown = groups[i];
    if (typeof group !== 'number' || !Number.isInteger(group) || group < 0 || group >= KEY_GROUPS)
      return `groups[${i}] must be a key group from 0 to ${KEY_GROUPS - 1}, got ${kindOf(group)}`;
  }
  return undefined;
}

/** Worker → master, while a batch runs: a value a generator task yielded for the request at `at`. */
export interface ProgressMessage {
  readonly type: typeof PROGRESS;
  readonly batch: number;
  readonly at: number;
  readonly value: unknown;
}

/** Worker → master: the outcomes of the run message `batch`. */
export interface DoneMessage extends WireOutcomes {
  readonly type: typeof DONE;
  readonly batch: number;
  /** The worker's V8 heap in use after the batch, in bytes, when the run message asked for it. */
  readonly heapUsed?: number;
  /** The worker refused the run message as malformed, for this reason; nothing ran. */
  readonly refused?: string;
}

/**
 * What is wrong with a worker's {@link DoneMessage} for a message of `count`
 * requests, in words, or `undefined` when it is well-formed: its outcomes
 * as `outcomesProblem` checks them, and `heapUsed` a number of bytes. The
 * master checks every reply before it settles anything.
 */
export function doneProblem(message: DoneMessage, count: number): string | undefined {
  const { heapUsed } = message;
  if (heapUsed !== undefined && (typeof heapUsed !== 'number' || !(heapUsed >= 0))) return `heapUsed must be a number of bytes, got ${kindOf(heapUsed)}`;
  return outcomesProblem(message, count);
}

/** Whether a {@link ProgressMessage}'s position is one of the `count` requests it was sent. */
export function isProgressFor(message: ProgressMessage, count: number): boolean {
  return typeof message.at === 'number' && Number.isInteger(message.at) && message.at >= 0 && message.at < count;
}

/** Worker → master: what a session's instances emitted (see `StreamOutputFields` in `src/wire.ts`). */
export interface StreamOutputMessage extends StreamOutputFields {
  readonly type: typeof STREAM_OUTPUT;
}

/** Worker → master: a session's instance ended (see `StreamEndedFields`). */
export interface StreamEndedMessage extends StreamEndedFields {
  readonly type: typeof STREAM_ENDED;
}

/** Master → worker: complete or cancel a session's instances (see `StreamCloseFields`). */
export interface StreamCloseMessage extends StreamCloseFields {
  readonly type: typeof STREAM_CLOSE;
}

/** Master → worker: run the module's `teardown` (the worker is being stopped while idle), then answer {@link TornDownMessage}. */
export interface TeardownMessage {
  readonly type: typeof TEARDOWN;
}

/** Worker → master: the teardown finished; with `error` when it threw or rejected. */
export interface TornDownMessage {
  readonly type: typeof TORN_DOWN;
  readonly error?: SerializedError;
}

/**
 * Worker → master, at most once per run message: a task of it read its
 * request's signal (`this.signal`), so it may stop by itself when the
 * request is cancelled; the master then aborts before it terminates.
 */
export interface CancellableMessage {
  readonly type: typeof CANCELLABLE;
  readonly batch: number;
}

/** Why a request was cancelled, as its signal's `reason` tells: `'timeout'` (a `TimeoutError`) or `'cancel'` (an `AbortError`). */
export type AbortReason = 'timeout' | 'cancel';

/**
 * Master → worker: the requests of these run messages were cancelled:
 * abort the signal of the one running, and run none of the rest. The
 * worker answers each message as usual (its outcomes are dropped). With
 * `at` (and one message), only the requests at those positions of it: a
 * queue host's job withdrawn while its requests share a batch with other
 * jobs' (their failures are the abort's).
 */
export interface AbortMessage {
  readonly type: typeof ABORT;
  readonly batches: readonly number[];
  readonly reason: AbortReason;
  readonly at?: readonly number[];
}

/** The most run messages one abort names (a batch's parts). */
const MAX_ABORTED = 100_000;

/** What is wrong with an {@link AbortMessage}, in words, or `undefined` when it is well-formed (checked by the worker). */
export function abortProblem(message: { readonly batches?: unknown; readonly reason?: unknown; readonly at?: unknown }): string | undefined {
  const { batches, reason, at } = message;
  if (reason !== 'timeout' && reason !== 'cancel') return `reason must be 'timeout' or 'cancel', got ${kindOf(reason)}`;
  if (!Array.isArray(batches)) return `batches must be an array of message ids, got ${kindOf(batches)}`;
  if (batches.length > MAX_ABORTED) return `${batches.length} message ids, more than the ${MAX_ABORTED} accepted`;
  for (let i = 0; i < batches.length; i++) if (typeof batches[i] !== 'number') return `batches[${i}] must be a message id, got ${kindOf(batches[i])}`;
  if (at === undefined) return undefined;
  if (batches.length !== 1) return `at names positions of one message, not of ${batches.length}`;
  if (!Array.isArray(at)) return `at must be an array of positions, got ${kindOf(at)}`;
  if (at.length > MAX_ABORTED) return `${at.length} positions, more than the ${MAX_ABORTED} accepted`;
  for (let i = 0; i < at.length; i++) {
    const position: unknown = at[i];
    if (typeof position !== 'number' || !Number.isInteger(position) || position < 0) return `at[${i}] must be a position, got ${kindOf(position)}`;
  }
  return undefined;
}

/**
 * Worker → master, once the worker is ready: its code threw (or left a
 * promise rejected) outside any task. The worker lives on; the master
 * replaces it, since its state can no longer be trusted.
 */
export interface UncaughtMessage {
  readonly type: typeof UNCAUGHT;
  readonly error: SerializedError;
}
