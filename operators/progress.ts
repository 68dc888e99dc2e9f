import type { OperatorFunction } from 'rxjs';
import { filter } from 'rxjs';
import type { Outcome, Progress } from '../src/outcomes.js';

/**
 * Keeps only the progress values of a `poolMap(..., { progress: true })`
 * stream: what generator tasks yield while they run, each before its
 * request's one outcome.
 *
 * ```text
 * source:  -p-q-a-r-b|      p, q, r progress; a, b outcomes
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
 * @see {@link poolMap}'s `progress` option, {@link results}, {@link errors}
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result.
 * @typeParam P - What the task yields.
 * @returns An operator from a `poolMap` stream to its progress items.
 */
export function progress<A extends readonly unknown[], R, P>(): OperatorFunction<Outcome<A, R> | Progress<A, P>, Progress<A, P>> {
  return filter((item): item is Progress<A, P> => item.ok === undefined);
}
