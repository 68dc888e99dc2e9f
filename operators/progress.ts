import type { OperatorFunction } from 'rxjs';
import { filter } from 'rxjs';
import type { Outcome, Progress } from '../src/outcomes.js';

/**
 * Keeps only the progress values of a `poolMap(..., { progress: true })`
 * stream: what generator tasks yield while they run, each before its
 * request's one outcome.
 *
 * ```text
 * source:  -p-q-A-r-B|      p, q, r progress; A, B outcomes
 *          progress()
 * output:  -p-q---r--|
 * ```
 *
 * @example
 * ```ts
 * const items$ = files$.pipe(poolMap(pool, 'hashFile', { progress: true }), share());
 * items$.pipe(progress()).subscribe(({ request, progress }) => bar(request.args[0], progress));
 * items$.pipe(results()).subscribe(({ value }) => save(value));
 * ```
 */
export function progress<A extends readonly unknown[], R, P>(): OperatorFunction<Outcome<A, R> | Progress<A, P>, Progress<A, P>> {
  return filter((item): item is Progress<A, P> => item.ok === undefined);
}
