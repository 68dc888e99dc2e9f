/**
 * The demo's worker module (also the distributed example's: its hosts run
 * it): one CPU-heavy task, `countPrimes`.
 *
 * Each pool worker loads this file and runs its tasks; the demo's main thread
 * imports it too, to run the same function serially for comparison
 * (`exposeTasks` returns the tasks unchanged outside a worker).
 */
import { exposeTasks } from '../src/worker';
import { countPrimes } from './primes';

export { InvalidLimitError } from './primes';

export const tasks = exposeTasks({
  /** Counts the primes in [2, limit] (see `./primes`); throws InvalidLimitError for a bad limit. */
  countPrimes,
});

export type Tasks = typeof tasks;
