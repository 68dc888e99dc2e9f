/**
 * The outcomes of one job's requests on a host, gathered as they end (in
 * any order, from any pipeline) until every request has one, in the form
 * the job's result carries them.
 *
 * @module
 */
import { TaskError, TaskTimeoutError, UnknownTaskError, WorkerCrashedError } from '../errors.js';
import { serializeError } from '../protocol.js';
import type { QueueFailure } from './wire.js';

/** A job's outcomes so far. */
export class JobOutcomes {
  /** Results by position; a failed position stays `null`. */
  readonly values: unknown[];
  /** The failures, in the order they ended. */
  readonly failures: QueueFailure[] = [];
  /** Requests without an outcome yet. */
  private remaining: number;

  constructor(
    count: number,
    /** Called once, when the last request has its outcome. */
    private readonly complete: (outcomes: JobOutcomes) => void,
  ) {
    this.values = new Array<unknown>(count).fill(null);
    this.remaining = count;
  }

  /** The request at `at` returned `value` (`undefined` travels as `null`, as in JSON). */
  succeeded(at: number, value: unknown): void {
    this.values[at] = value === undefined ? null : value;
    this.ended();
  }

  /** The request at `at` failed with `error`. */
  failed(at: number, error: Error): void {
    this.failures.push(failureOf(at, error));
    this.ended();
  }

  private ended(): void {
    if (--this.remaining === 0) this.complete(this);
  }
}

function failureOf(at: number, error: Error): QueueFailure {
  if (error instanceof TaskError) {
    const serialized = serializeError(error.cause);
    return { at, kind: 'task', error: error.thrown ? { ...serialized, nonError: error.thrown } : serialized };
  }
  if (error instanceof UnknownTaskError) return { at, kind: 'unknown-task', error: serializeError(error), known: error.known };
  if (error instanceof TaskTimeoutError) return { at, kind: 'timeout', error: serializeError(error) };
  if (error instanceof WorkerCrashedError) return { at, kind: 'crashed', error: serializeError(error) };
  return { at, kind: 'other', error: serializeError(error) };
}
