/**
 * Outcomes: every request ends in exactly one, a result or an error.
 *
 * @module
 */
import type { WorkRequest } from './requests.js';

/** A request that succeeded: the seed's `callback(request, result)`. */
export interface Result<A extends readonly unknown[] = unknown[], R = unknown> {
  readonly ok: true;
  readonly request: WorkRequest<A>;
  readonly value: R;
}

/** A request that failed: the seed's `exc_callback(request, exc_info)`. `error` is a `PoolError` subclass. */
export interface Failure<A extends readonly unknown[] = unknown[]> {
  readonly ok: false;
  readonly request: WorkRequest<A>;
  readonly error: Error;
}

/**
 * A progress value a request's task reported while it ran (a generator
 * task's `yield`), emitted by `poolMap(..., { progress: true })` before the
 * request's one outcome. Not an outcome: `ok` is absent.
 */
export interface Progress<A extends readonly unknown[] = unknown[], P = unknown> {
  readonly ok?: undefined;
  readonly request: WorkRequest<A>;
  readonly progress: P;
}

/** Whether an item of a `poolMap` stream is a progress value rather than an outcome. */
export function isProgress<A extends readonly unknown[], R, P>(item: Outcome<A, R> | Progress<A, P>): item is Progress<A, P> {
  return item.ok === undefined;
}

/** The one outcome of a request. */
export type Outcome<A extends readonly unknown[] = unknown[], R = unknown> = Result<A, R> | Failure<A>;

/** Whether an outcome is a result. */
export function isResult<A extends readonly unknown[], R>(outcome: Outcome<A, R> | Progress<A>): outcome is Result<A, R> {
  return outcome.ok === true;
}

/** Whether an outcome is a failure. */
export function isFailure<A extends readonly unknown[], R>(outcome: Outcome<A, R> | Progress<A>): outcome is Failure<A> {
  return outcome.ok === false;
}
