/**
 * A pool's size: a number of workers, or the least and most it runs (it
 * grows towards the most while requests wait, and shrinks towards the
 * least after `idleTimeout`), checked once for `createPool`, `resize` and
 * each value of a size Observable.
 *
 * @module
 */
import { checkInteger, checkKnownKeys } from './checks.js';
import { InvalidOptionError } from './errors.js';
import type { SizeRange } from './scheduler/dispatch.js';

/**
 * How many workers a pool runs: exactly `n`, or from `min` to `max` (it
 * starts `min`, starts more while requests wait and every worker is busy,
 * up to `max`, and lets a worker idle past `idleTimeout` exit while it runs
 * more than `min`).
 *
 * @category Pools
 */
export type PoolSize =
  | number
  | {
      /** The least workers it runs (0 or more): it starts them at once, and idle ones past them exit after `idleTimeout`. */
      readonly min: number;
      /** The most workers it runs (1 or more, and not below `min`): it grows towards them while requests wait. */
      readonly max: number;
    };

/** Throws unless `value` is a size of at most `most` workers; returns it as a range (`n` is `{ min: n, max: n }`). */
export function checkSize(option: string, value: unknown, most: number): SizeRange {
  if (typeof value === 'number') {
    const n = checkInteger(option, value, 1, most);
    return { min: n, max: n };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, value, `a number of workers from 1 to ${most}, or { min, max }`);
  }
  checkKnownKeys(`the ${option} range`, value, ['min', 'max'], { minThreads: 'min', maxThreads: 'max', minWorkers: 'min', maxWorkers: 'max' });
  const { min, max } = value as { min?: unknown; max?: unknown };
  const least = checkInteger(`${option}.min`, min, 0, most);
  const greatest = checkInteger(`${option}.max`, max, Math.max(1, least), most);
  return { min: least, max: greatest };
}
