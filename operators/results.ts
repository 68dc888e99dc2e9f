import type { OperatorFunction } from 'rxjs';
import { filter } from 'rxjs';
import type { Outcome, Progress, Result } from '../src/outcomes.js';
import { reportFailure } from '../src/reportFailure.js';

/**
 * Keeps the results of a stream of outcomes: the seed's `callback`.
 *
 * The failures it drops are printed with their stacks (like the seed's
 * default `exc_callback`), never swallowed. To handle failures too, use
 * {@link splitOutcomes}, which reports only those that no one observes.
 *
 * ```text
 * outcomes:  -a-b-c-d-|      a, b, d results; c a failure
 *            results()
 * output:    -a-b---d-|      (c printed to stderr with its stack)
 * ```
 *
 * @example
 * ```ts
 * requests$.pipe(poolMap(pool, 'countPrimes'), results()).subscribe(({ request, value }) => console.log(request.id, value));
 * ```
 * @see {@link errors}, {@link splitOutcomes}
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 * @return An operator from outcomes to results (progress items are dropped too).
 */
export function results<A extends readonly unknown[], R>(): OperatorFunction<Outcome<A, R> | Progress<A>, Result<A, R>> {
  return filter((outcome): outcome is Result<A, R> => {
    if (outcome.ok === true) return true;
    if (outcome.ok === false) reportFailure(outcome);
    return false;
  });
}
