/**
 * Option checks at the door: each names the option and the value it got.
 *
 * @module
 */
import { InvalidOptionError } from './errors.js';
import type { TaskMap } from './tasks.js';

/**
 * The longest delay a timer can take (2³¹−1 ms, about 24.8 days): Node and
 * browsers fire a longer one at once, so every time option stops here.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Throws unless `value` is an integer ≥ `min` (and ≤ `max` when given). */
export function checkInteger(option: string, value: unknown, min: number, max?: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    const range = max !== undefined ? `an integer from ${min} to ${max}` : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`;
    throw new InvalidOptionError(option, value, range);
  }
  return value;
}

/** Throws unless `value` is a whole number of ms a timer can wait: from `min` to {@link MAX_TIMER_MS}. */
export function checkTimeout(option: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new InvalidOptionError(option, value, `a whole number of ms from ${min} to ${MAX_TIMER_MS} (2^31-1, the longest a timer can wait)`);
  }
  return value;
}

/** Throws unless `value` is a finite number > 0 (and ≤ `max` when given). */
export function checkPositive(option: string, value: unknown, unit: string, max?: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (max !== undefined && value > max)) {
    throw new InvalidOptionError(option, value, `a positive number of ${unit}${max === undefined ? '' : ` up to ${max}`}`);
  }
  return value;
}

/** Throws unless `value` is a plain object (or undefined, which becomes `{}`). */
export function checkOptionsObject<T extends object>(option: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, value, 'an options object');
  }
  return value;
}

/**
 * What a user coming from another pool may type, and what to say: the
 * option it most likely meant (`'batch'`), or, for something this library
 * does another way, how to get the same (a sentence).
 */
export type OptionAliases = Readonly<Record<string, string>>;

/**
 * Throws for the first own key of `options` that is not among `known`,
 * naming it, where it was given, the known options, and the option it most
 * likely meant: from `aliases` (what the peers call it), else a known name
 * within two edits of it.
 */
export function checkKnownKeys(where: string, options: object, known: readonly string[], aliases: OptionAliases = {}): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const alias = Object.hasOwn(aliases, key) ? aliases[key] : undefined;
    const near = alias === undefined ? nearest(key, known) : undefined;
    const meant = alias ?? near;
    const hint = meant === undefined ? undefined : known.includes(meant) ? `Did you mean "${meant}"?` : meant;
    throw new InvalidOptionError(key, (options as Record<string, unknown>)[key], `one of ${where}: ${known.join(', ')}`, hint);
  }
}

/** The known name closest to `key` (case aside), when it is within two edits. */
function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (short strings: option names). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Throws unless `tasks` is an object whose values are all functions. */
export function checkTasks(tasks: unknown): asserts tasks is TaskMap {
  if (typeof tasks !== 'object' || tasks === null || Array.isArray(tasks)) {
    throw new InvalidOptionError('tasks', tasks, 'an object of task functions');
  }
  for (const [name, task] of Object.entries(tasks)) {
    if (typeof task !== 'function') throw new InvalidOptionError(`tasks.${name}`, task, 'a function');
  }
}
