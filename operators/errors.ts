import type { OperatorFunction } from 'rxjs';
import { filter } from 'rxjs';
import type { Failure, Outcome, Progress } from '../src/outcomes.js';

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
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 * @return An operator from outcomes to failures (progress items are dropped too).
 */
export function errors<A extends readonly unknown[], R>(): OperatorFunction<Outcome<A, R> | Progress<A>, Failure<A>> {
  return filter((outcome): outcome is Failure<A> => outcome.ok === false);
}
