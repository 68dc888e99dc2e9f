/**
 * The README's recipes, as functions that `test/recipes.test.ts` runs on real
 * workers (the demo's `primes.worker.ts`), so the recipes stay true.
 */
import { concat, defer, exhaustMap, filter, from, map, type Observable, takeUntil, tap } from 'rxjs';
import { poolMap, type PoolMapOutcome, pullFrom, results } from '../operators';
import { type Pool, TaskCancelledError, type WorkRequest, workRequest } from '../src';
import type { Tasks } from './primes.worker';

/** CPU-bound map: every limit's prime count, in completion order (the fastest first). */
export function countAll(pool: Pool<Tasks>, limits: readonly number[]): Observable<number> {
  return from(limits).pipe(
    poolMap(pool, 'countPrimes'),
    results(), // the values; errors go to stderr unless someone takes errors()
    map(({ value }) => value),
  );
}

/** Ordered output: the same, in the order the limits came in (Python's `imap`). */
export function countInOrder(pool: Pool<Tasks>, limits: readonly number[]): Observable<number> {
  return from(limits).pipe(
    poolMap(pool, 'countPrimes', { ordered: true }),
    results(),
    map(({ value }) => value),
  );
}

/**
 * A bounded queue from a fast producer. A lazy source (a generator, a file
 * read line by line) is pulled only while at most 100 requests wait, so
 * memory stays flat however long it is.
 */
export function countLazily(pool: Pool<Tasks>, limits: () => Iterable<number>): Observable<number> {
  return pullFrom(limits()).pipe(
    poolMap(pool, 'countPrimes', { queue: { size: 100 } }),
    results(),
    map(({ value }) => value),
  );
}

/**
 * A hot producer (a sensor, a socket) cannot be paused: keep the 10 newest
 * requests waiting and drop the oldest. A dropped request still yields its
 * one outcome, a `QueueFullError`.
 */
export function sampleHotSource(pool: Pool<Tasks>, readings: Observable<number>): Observable<{ ok: boolean; code?: string }> {
  return readings.pipe(
    poolMap(pool, 'countPrimes', { queue: { size: 10, overflow: 'drop-oldest' } }),
    map((outcome) => (outcome.ok ? { ok: true } : { ok: false, code: (outcome.error as { code?: string }).code })),
  );
}

/**
 * Cancel with `takeUntil`: queued requests never start; with
 * `cancel: 'terminate'` the running ones' workers are replaced rather than
 * left to finish.
 */
export function countUntil(pool: Pool<Tasks>, limits: Observable<number>, stop: Observable<unknown>): Observable<number> {
  return limits.pipe(
    poolMap(pool, 'countPrimes', { cancel: 'terminate' }),
    takeUntil(stop),
    results(),
    map(({ value }) => value),
  );
}

/**
 * Resize under load: add a worker (up to `max`) whenever more than `backlog`
 * requests wait; running pipelines use it at once. Unsubscribe to stop.
 */
export function growWhenBusy(pool: Pool<Tasks>, max: number, backlog: number): Observable<number> {
  return pool.stats$.pipe(
    filter(({ queued, workers }) => queued > backlog && workers < max),
    exhaustMap(() => pool.createWorkers(1)), // one at a time: stats$ reports the new size when it is ready
    map(() => pool.size),
  );
}

/**
 * Cancel, and still give every request its outcome: a cancelled pipeline
 * emits nothing for the requests it dropped or abandoned, so keep the ones
 * sent and not yet answered, and when `stop` fires emit a
 * `TaskCancelledError` for each.
 */
export function countUntilWithOutcomes(
  pool: Pool<Tasks>,
  limits: Observable<number>,
  stop: Observable<unknown>,
): Observable<PoolMapOutcome<Tasks, 'countPrimes'>> {
  return defer(() => {
    const unanswered = new Map<number, WorkRequest<[number]>>();
    const answered = limits.pipe(
      map((limit) => workRequest([limit] as [number])),
      tap((request) => unanswered.set(request.id, request)),
      poolMap(pool, 'countPrimes'),
      tap(({ request }) => unanswered.delete(request.id)),
      takeUntil(stop),
    );
    const cancelled = defer(() =>
      from([...unanswered.values()].map((request) => ({ ok: false as const, request, error: new TaskCancelledError(request.id) }))),
    );
    return concat(answered, cancelled);
  });
}
