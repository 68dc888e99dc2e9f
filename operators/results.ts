import type { OperatorFunction } from 'rxjs';
import { filter } from 'rxjs';
import type { Outcome, Progress, Result, StreamOutcome, StreamResult } from '../src/outcomes.js';
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
 * @typeParam T - What the stream carries: `poolMap`'s outcomes (and progress), or `poolPipe`'s stream outcomes.
 * @return An operator from outcomes to results (`{ request, value }`, or a stream's `{ key, value }`; progress items are dropped too).
 */
export function results<T extends Outcome<readonly unknown[], unknown> | Progress<readonly unknown[], unknown> | StreamOutcome>(): OperatorFunction<
  T,
  Extract<T, Result<readonly unknown[], unknown> | StreamResult>
> {
  return filter((outcome: T): outcome is Extract<T, Result<readonly unknown[], unknown> | StreamResult> => {
    if (outcome.ok === true) return true;
    if (outcome.ok === false) reportFailure(outcome);
    return false;
  });
}
