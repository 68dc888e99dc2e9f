/**
 * The examples' one CPU-heavy function, shared by the demo's worker module,
 * the browser example's and the distributed example's hosts.
 */

/**
 * Thrown for a limit that is not a non-negative integer. A `RangeError` with
 * a stable `code`: the pool sends `name`, `message`, `stack` and `code` back
 * to the main thread, where they arrive as the `cause` of a `TaskError`.
 */
export class InvalidLimitError extends RangeError {
  readonly code = 'ERR_INVALID_LIMIT';

  constructor(readonly limit: number) {
    super(`countPrimes needs a non-negative integer limit, got ${limit}`);
    this.name = 'InvalidLimitError';
  }
}

/**
 * Counts the primes in [2, limit] by trial division: deliberately slow
 * (about 2-4 ms for limits of 50 000-100 000), so that the work, not the
 * messaging, dominates.
 *
 * @throws InvalidLimitError unless `limit` is a non-negative integer.
 */
export function countPrimes(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) throw new InvalidLimitError(limit);
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
}
