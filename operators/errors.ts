import type { OperatorFunction } from 'rxjs';
import { filter } from 'rxjs';
import type { Failure, Outcome, Progress, StreamFailure, StreamOutcome } from '../src/outcomes.js';

/**
 * Keeps the failures of a stream of outcomes: the seed's `exc_callback`.
 * Each is `{ request, error }`, with `error` a typed `PoolError` (match on
 * its `code`).
 *
 * ```text
 * outcomes:  -a-b-c-d-|      a, b, d results; c a failure
 *            errors()
 * output:    -----c---|
 * ```
 *
 * @example
 * ```ts
 * requests$.pipe(poolMap(pool, 'countPrimes'), errors()).subscribe(({ request, error }) => console.error(request.id, error.code));
 * ```
 * @see {@link results}, {@link splitOutcomes}
 * @typeParam T - What the stream carries: `poolMap`'s outcomes (and progress), or `poolPipe`'s stream outcomes.
 * @return An operator from outcomes to failures (`{ request, error }`, or a stream's `{ key, error }`; progress items are dropped too).
 */
export function errors<T extends Outcome<readonly unknown[], unknown> | Progress<readonly unknown[], unknown> | StreamOutcome>(): OperatorFunction<
  T,
  Extract<T, Failure<readonly unknown[]> | StreamFailure>
> {
  return filter((outcome: T): outcome is Extract<T, Failure<readonly unknown[]> | StreamFailure> => outcome.ok === false);
}
