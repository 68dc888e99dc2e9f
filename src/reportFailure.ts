/**
 * The default error handler: like the seed's default `exc_callback`, an
 * error that no one handles is printed with its stack, never swallowed.
 *
 * @module
 */
import type { Failure } from './outcomes.js';

/** Prints a failure that no error stream or callback handles. */
export function reportFailure(failure: Failure<readonly unknown[]>): void {
  const { error, request } = failure;
  console.error(`rxjs-threadpool: request ${request.id} failed and nothing handles its error:\n${error.stack ?? `${error.name}: ${error.message}`}`);
}
