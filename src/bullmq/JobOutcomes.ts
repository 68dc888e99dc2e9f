/**
 * The outcomes of one job's requests on a host, gathered as they end (in
 * any order, from any pipeline) until every request has one, in the form
 * the job's result carries them (the wire's `WireOutcomes`).
 *
 * @module
 */
import type { FailureError } from '../errors.js';
import { failureOf, type WireFailure } from '../wire.js';

/** A job's outcomes so far. */
export class JobOutcomes {
  /** Results by position; a failed position stays `null`. */
  readonly values: unknown[];
  /** The failures, in the order they ended. */
  readonly failures: WireFailure[] = [];
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

  /** The request at `at` failed with `error` (encoded by the wire's `failureOf`). */
  failed(at: number, error: FailureError): void {
    this.failures.push(failureOf(at, error));
    this.ended();
  }

  private ended(): void {
    if (--this.remaining === 0) this.complete(this);
  }
}
