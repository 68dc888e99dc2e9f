/**
 * Outcomes: every request ends in exactly one, a result or an error.
 *
 * @module
 */
import type { FailureError } from './errors.js';
import type { Key } from './keys.js';
import type { WorkRequest } from './requests.js';

/**
 * A request that succeeded: the seed's `callback(request, result)`.
 *
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 */
export interface Result<A extends readonly unknown[] = unknown[], R = unknown> {
  /** Always `true`: tells a result from a {@link Failure} (`false`) and a {@link Progress} (absent). */
  readonly ok: true;
  /** The request this is the outcome of, as it entered `poolMap` (same `id`, same `args`). */
  readonly request: WorkRequest<A>;
  /** What the task returned (a promise's value for an async task, the return value for a generator task). */
  readonly value: R;
}

/**
 * A request that failed: the seed's `exc_callback(request, exc_info)`.
 *
 * @typeParam A - The task's argument list.
 */
export interface Failure<A extends readonly unknown[] = unknown[]> {
  /** Always `false`: tells a failure from a {@link Result} (`true`) and a {@link Progress} (absent). */
  readonly ok: false;
  /** The request that failed, as it entered `poolMap` (same `id`, same `args`). */
  readonly request: WorkRequest<A>;
  /**
   * Why it failed: one of this library's errors (`TaskError` when the task
   * threw, `WorkerCrashedError`, `TaskTimeoutError`, `DataCloneError`, …; see
   * {@link FailureError}). Narrow it by its `code` or with `instanceof`.
   */
  readonly error: FailureError;
}

/**
 * A progress value a request's task reported while it ran (a generator
 * task's `yield`), emitted by `poolMap(..., { progress: true })` before the
 * request's one outcome. Not an outcome: `ok` is absent.
 *
 * @typeParam A - The task's argument list.
 * @typeParam P - What the task yields.
 */
export interface Progress<A extends readonly unknown[] = unknown[], P = unknown> {
  /** Always absent: tells progress from an outcome ({@link Result} or {@link Failure}). */
  readonly ok?: undefined;
  /** The request whose task reported it. */
  readonly request: WorkRequest<A>;
  /** The value the task yielded. */
  readonly progress: P;
}

/**
 * Whether an item of a `poolMap` stream is a progress value rather than an outcome.
 *
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 * @typeParam P - What the task yields.
 * @param item - An item of a `poolMap(..., { progress: true })` stream.
 * @returns `true` for a {@link Progress}, `false` for an outcome; narrows the type.
 */
export function isProgress<A extends readonly unknown[], R, P>(item: Outcome<A, R> | Progress<A, P>): item is Progress<A, P> {
  return item.ok === undefined;
}

/**
 * The one outcome of a request: a {@link Result} or a {@link Failure}. Tell
 * them apart by `ok`.
 *
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 */
export type Outcome<A extends readonly unknown[] = unknown[], R = unknown> = Result<A, R> | Failure<A>;

/**
 * Whether an outcome is a result.
 *
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 * @param outcome - An item of a `poolMap` stream.
 * @returns `true` for a {@link Result}; narrows the type.
 */
export function isResult<A extends readonly unknown[], R>(outcome: Outcome<A, R> | Progress<A>): outcome is Result<A, R> {
  return outcome.ok === true;
}

/**
 * Whether an outcome is a failure.
 *
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 * @param outcome - An item of a `poolMap` stream.
 * @returns `true` for a {@link Failure}; narrows the type.
 */
export function isFailure<A extends readonly unknown[], R>(outcome: Outcome<A, R> | Progress<A>): outcome is Failure<A> {
  return outcome.ok === false;
}

/**
 * What a stream task emitted for a key (`poolPipe`).
 *
 * @typeParam O - What the stream task emits.
 *
 * @category Outcomes
 */
export interface StreamResult<O = unknown> {
  /** Always `true`: tells a result from a {@link StreamFailure}. */
  readonly ok: true;
  /** The key whose instance emitted it (`undefined` in a stream without keys). */
  readonly key: Key | undefined;
  /** The value the instance emitted. */
  readonly value: O;
}

/**
 * A key's instance of a stream task failed, or a value of the key could not
 * be fed (`poolPipe`): `TaskError` when the operator errored (its `cause`
 * is the worker's error; the instance ended, and the key's next value
 * starts a fresh one), `WorkerCrashedError` when its worker died (its
 * `stream.fed` says how many values the instance had been sent),
 * `CallbackError`, `DataCloneError`, `QueueFullError`, `PoolClosedError`
 * for a value that was not fed.
 *
 * @category Outcomes
 */
export interface StreamFailure {
  /** Always `false`: tells a failure from a {@link StreamResult}. */
  readonly ok: false;
  /** The key (`undefined` in a stream without keys, or when the `key` function itself failed). */
  readonly key: Key | undefined;
  /** Why. */
  readonly error: FailureError;
}

/**
 * What `poolPipe` emits: a stream task's outputs, and its failures, by key.
 *
 * @typeParam O - What the stream task emits.
 *
 * @category Outcomes
 */
export type StreamOutcome<O = unknown> = StreamResult<O> | StreamFailure;
