/**
 * The demo's worker module: one CPU-heavy task that fails on purpose for bad input.
 */
import { exposeTasks } from '../src/worker';

/** A limit that is not a non-negative integer. */
export class BadLimitError extends RangeError {
  readonly code = 'E_BAD_LIMIT';

  constructor(limit: number) {
    super(`countPrimes needs a non-negative integer limit, got ${limit}`);
    this.name = 'BadLimitError';
  }
}

export const tasks = exposeTasks({
  /** Counts the primes up to `limit` by trial division (a few ms for limits around 100,000). */
  countPrimes(limit: number): number {
    if (!Number.isInteger(limit) || limit < 0) throw new BadLimitError(limit);
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
