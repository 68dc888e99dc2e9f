import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../src/errors';
import type { Outcome } from '../src/outcomes';
import { Pool } from '../src/Pool';
import { isWorkRequest, type WorkRequest, workRequest } from '../src/requests';
import type { TaskArgs, TaskInput, TaskMap, TaskName, TaskResult } from '../src/tasks';

/** What `poolMap(pool, task)` accepts: the task's single argument, or a `WorkRequest` of its arguments. */
export type PoolMapInput<T extends TaskMap, K extends TaskName<T>> = TaskInput<T, K> | WorkRequest<Readonly<TaskArgs<T, K>>>;

/** What `poolMap(pool, task)` emits: one outcome per request. */
export type PoolMapOutcome<T extends TaskMap, K extends TaskName<T>> = Outcome<TaskArgs<T, K>, TaskResult<T, K>>;

/**
 * Runs `task` on the pool's workers for each source value and emits one
 * outcome per request: `{ ok: true, request, value }` or
 * `{ ok: false, request, error }`. A failing request never errors the stream.
 *
 * A plain source value is the task's single argument and gets a new request
 * id; a `WorkRequest` (from `makeRequests`) keeps its id and spreads its
 * arguments. At most as many requests run at once as the pool has live
 * workers, like `mergeMap`'s `concurrent`; the rest wait in the pool's queue
 * in arrival order, and a running pipeline follows `createWorkers` and
 * `dismissWorkers` without resubscribing. Outcomes are emitted as requests
 * finish, so their order can differ from the source's.
 *
 * The stream completes when the source has completed and every outcome is
 * out. A source error is passed on at once. Unsubscribing drops the
 * requests still queued (they never start) and ignores the running ones'
 * outcomes, freeing the pool for other pipelines.
 *
 * ```text
 * pool of 2 workers, each request takes 3 frames; c fails
 *
 * source:  a b c d e |
 *          poolMap(pool, 'task')
 * output:  ---A B C'-D E|       A = { ok: true, request: a, value }, C' = { ok: false, request: c, error }
 * ```
 *
 * @example
 * ```ts
 * import { from } from 'rxjs';
 * import { createPool } from 'rxjs-threadpool';
 * import { poolMap, splitOutcomes } from 'rxjs-threadpool/operators';
 * import type { Tasks } from './primes.worker';
 *
 * const pool = createPool<Tasks>(new URL('./primes.worker.js', import.meta.url));
 * const { results$, errors$ } = splitOutcomes(from([1e5, 2e5, -1]).pipe(poolMap(pool, 'countPrimes')));
 * errors$.subscribe(({ request, error }) => console.error(request.id, error.message));
 * results$.subscribe({ next: ({ value }) => console.log(value), complete: () => pool.close() });
 * ```
 * @see {@link splitOutcomes} to get results and errors as two streams.
 * @param pool - The pool to run on (`createPool`, or `createVirtualPool` in tests).
 * @param task - The name of a task the pool's worker module exposes.
 * @return An operator from arguments (or requests) to outcomes.
 * @throws InvalidOptionError for a value that is not a pool, or a task that is not a string.
 * @throws UnknownTaskError when the pool already knows its worker module does not expose `task`.
 */
export function poolMap<T extends TaskMap, K extends TaskName<T>>(pool: Pool<T>, task: K): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K>> {
  if (!(pool instanceof Pool)) throw new InvalidOptionError('pool', pool, 'a pool from createPool() or createVirtualPool()');
  if (typeof task !== 'string' || task === '') throw new InvalidOptionError('task', task, 'a task name (a non-empty string)');
  pool.checkTask(task);
  return (source) =>
    new Observable<PoolMapOutcome<T, K>>((subscriber) => {
      let sourceDone = false;
      const lane = pool.openLane(task, (outcome) => {
        subscriber.next(outcome as PoolMapOutcome<T, K>);
        if (sourceDone && lane.pending === 0) subscriber.complete();
      });
      const subscription = source.subscribe({
        next: (value) => lane.submit(isWorkRequest(value) ? value : workRequest([value])),
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (lane.pending === 0) subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        lane.close();
      };
    });
}
