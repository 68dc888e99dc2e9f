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

/** The one outcome of a request. */
export type Outcome<A extends readonly unknown[] = unknown[], R = unknown> = Result<A, R> | Failure<A>;

/** Whether an outcome is a result. */
export function isResult<A extends readonly unknown[], R>(outcome: Outcome<A, R>): outcome is Result<A, R> {
  return outcome.ok;
}

/** Whether an outcome is a failure. */
export function isFailure<A extends readonly unknown[], R>(outcome: Outcome<A, R>): outcome is Failure<A> {
  return !outcome.ok;
}
