/**
 * The distributed example's worker module: every host runs it on its
 * threads (`rxjs-threadpool-serve examples/distributed/primes.worker.ts ...`),
 * and the producer is typed from it.
 */
import { exposeTasks } from '../../src/worker';

export const tasks = exposeTasks({
  /** Counts the primes in [2, limit] by trial division (a few ms for limits near 100 000). */
  countPrimes(limit: number): number {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`not a limit: ${limit}`);
    let count = 0;
    for (let n = 2; n <= limit; n++) {
      let prime = true;
      for (let d = 2; d * d <= n; d++) {
        if (n % d === 0) {
          prime = false;
          break;
        }
      }
      if (prime) count++;
    }
    return count;
  },
});
export type Tasks = typeof tasks;
