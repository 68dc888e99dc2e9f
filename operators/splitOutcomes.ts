import { filter, Observable, share } from 'rxjs';
import type { Failure, Outcome, Progress, Result, StreamFailure, StreamOutcome, StreamResult } from '../src/outcomes.js';
import { reportFailure } from '../src/reportFailure.js';

/**
 * The two streams of {@link splitOutcomes}.
 *
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 */
export interface SplitOutcomes<A extends readonly unknown[], R> {
  /** The results: the seed's `callback(request, result)`. */
  readonly results$: Observable<Result<A, R>>;
  /** The failures: the seed's `exc_callback(request, error)`. */
  readonly errors$: Observable<Failure<A>>;
}

/**
 * Splits a stream of outcomes into a results stream and an errors stream
 * that share one subscription to it: the pool runs each request once, the
 * first subscription starts the work, and it stops when both have
 * unsubscribed.
 *
 * Subscribe to `errors$` before (or together with) `results$`: while
 * `errors$` has no subscriber, each failure is printed with its stack, never
 * swallowed.
 *
 * ```text
 * outcomes:  -a-b-c-d-|      a, b, d results; c a failure
 *            splitOutcomes(outcomes)
 * results$:  -a-b---d-|
 * errors$:   -----c---|
 * ```
 *
 * @example
 * ```ts
 * const { results$, errors$ } = splitOutcomes(requests$.pipe(poolMap(pool, 'countPrimes')));
 * errors$.subscribe(({ request, error }) => console.error(request.id, error.code));
 * results$.subscribe(({ request, value }) => console.log(request.id, value));
 * ```
 * @see {@link results}, {@link errors}
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 * @param outcome$ - Outcomes, as `poolMap` emits them.
 * @return The two streams (progress items go to neither).
 */
export function splitOutcomes<A extends readonly unknown[], R>(outcome$: Observable<Outcome<A, R> | Progress<A>>): SplitOutcomes<A, R>;
/**
 * Splits a stream task's outcomes (`poolPipe`) into what its instances
 * emitted, `{ key, value }`, and their failures, `{ key, error }`, as for
 * `poolMap`'s outcomes.
 *
 * @typeParam O - What the stream task emits.
 * @param outcome$ - Outcomes, as `poolPipe` emits them.
 * @return The two streams.
 */
export function splitOutcomes<O>(outcome$: Observable<StreamOutcome<O>>): SplitStreamOutcomes<O>;
export function splitOutcomes(outcome$: Observable<Outcome | Progress | StreamOutcome>): SplitOutcomes<unknown[], unknown> | SplitStreamOutcomes<unknown> {
  let errorObservers = 0;
  const shared = outcome$.pipe(share());
  const results$ = shared.pipe(
    filter((outcome): outcome is Result | StreamResult => {
      if (outcome.ok === true) return true;
      if (outcome.ok === false && errorObservers === 0) reportFailure(outcome);
      return false;
    }),
  );
  const errors$ = new Observable<Failure | StreamFailure>((subscriber) => {
    errorObservers++;
    const subscription = shared.pipe(filter((outcome): outcome is Failure | StreamFailure => outcome.ok === false)).subscribe(subscriber);
    return () => {
      errorObservers--;
      subscription.unsubscribe();
    };
  });
  return { results$, errors$ } as SplitOutcomes<unknown[], unknown> | SplitStreamOutcomes<unknown>;
}

/**
 * The two streams of {@link splitOutcomes} for a stream task's outcomes.
 *
 * @typeParam O - What the stream task emits.
 */
export interface SplitStreamOutcomes<O> {
  /** What the instances emitted. */
  readonly results$: Observable<StreamResult<O>>;
  /** Their failures. */
  readonly errors$: Observable<StreamFailure>;
}
