/**
 * Option checks at the door: each names the option and the value it got.
 *
 * @module
 */
import { InvalidOptionError } from './errors.js';
import type { TaskMap } from './tasks.js';

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, value, min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`);
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

/** Throws unless `tasks` is an object whose values are all functions. */
export function checkTasks(tasks: unknown): asserts tasks is TaskMap {
  if (typeof tasks !== 'object' || tasks === null || Array.isArray(tasks)) {
    throw new InvalidOptionError('tasks', tasks, 'an object of task functions');
  }
  for (const [name, task] of Object.entries(tasks)) {
    if (typeof task !== 'function') throw new InvalidOptionError(`tasks.${name}`, task, 'a function');
  }
}
