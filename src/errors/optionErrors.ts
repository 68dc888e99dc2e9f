/**
 * Errors of what the library was given: a bad option or value, a task name
 * the worker module does not expose. Thrown synchronously where known (an
 * unknown task, found only once a worker has started, is a request's
 * outcome instead).
 *
 * @module
 */
import { PoolError } from './PoolError.js';
import { describeValue } from './text.js';

/**
 * An option was unknown, missing, of the wrong type or out of range; or a
 * value given to the library (a request) had the wrong shape. Thrown
 * synchronously where the option is given.
 *
 * @category Errors
 */
export class InvalidOptionError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_INVALID_OPTION' as const;

  /**
   * Describes the bad option in the message: its name, what was expected, what was given, and a hint.
   *
   * @param option - The option's name.
   * @param value - The value that was given.
   * @param expected - What was expected instead, in words.
   * @param hint - For an unknown option, the option it most likely meant (`Did you mean "batch"?`), or how to get the same.
   */
  constructor(
    /** The option's name, as the user wrote it (`size`, `createWorkers(n)`, `batchSize`). */
    readonly option: string,
    /** The value that was given. */
    readonly value: unknown,
    /** What was expected instead, in words. */
    readonly expected: string,
    /** For an unknown option: the option it most likely meant, or how to get the same today. */
    readonly hint?: string,
  ) {
    super(`Invalid option "${option}": expected ${expected}, got ${describeValue(value)}.${hint === undefined ? '' : ` ${hint}`}`);
  }
}

/**
 * The task name is not one the worker module exposes.
 *
 * @category Errors
 */
export class UnknownTaskError extends PoolError {
  /** {@inheritDoc PoolError.code} */
  readonly code = 'ERR_UNKNOWN_TASK' as const;

  /**
   * Lists the known task names in the message.
   *
   * @param task - The task name that was asked for.
   * @param known - The names the worker module exposes.
   */
  constructor(
    /** The task name that was asked for. */
    readonly task: string,
    /** The names the worker module exposes. */
    readonly known: readonly string[],
  ) {
    super(`Unknown task "${task}": the worker module exposes ${known.length === 0 ? 'no tasks' : known.map((name) => `"${name}"`).join(', ')}.`);
  }
}
