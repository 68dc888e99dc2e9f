import type { OperatorFunction } from 'rxjs';
import { filter } from 'rxjs';
import type { Failure, Outcome, Progress } from '../src/outcomes.js';

/**
 * Keeps the failures of a stream of outcomes: the seed's `exc_callback`.
 * Each is `{ request, error }`, with `error` a typed `PoolError` (match on
 * its `code`).
 *
 * ```text
 * outcomes:  A B C' D |      C' failed
 *            errors()
 * output:    ----C'--|
 * ```
 *
 * @example
 * ```ts
 * requests$.pipe(poolMap(pool, 'countPrimes'), errors()).subscribe(({ request, error }) => console.error(request.id, error.code));
 * ```
 * @see {@link results}, {@link splitOutcomes}
 * @return An operator from outcomes to failures.
 */
export function errors<A extends readonly unknown[], R>(): OperatorFunction<Outcome<A, R> | Progress<A>, Failure<A>> {
  return filter((outcome): outcome is Failure<A> => outcome.ok === false);
}
