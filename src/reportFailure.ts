/**
 * The default error handler: like the seed's default `exc_callback`, an
 * error that no one handles is printed with its stack, never swallowed.
 * Used by `printError` (requests), `results()` and `splitOutcomes`.
 *
 * Imports nothing: it needs only a failure's request id and error, so the
 * modules of requests and outcomes can both use it.
 *
 * @module
 */

/** What printing a failure needs of it: a `Failure` outcome is one, and so is a stream's `StreamFailure`. */
export type ReportedFailure =
  | {
      /** The request that failed: its id is printed. */
      readonly request: { readonly id: number };
      /** Why it failed: its stack is printed (its name and message when it has none). */
      readonly error: Error;
    }
  | {
      /** The key of a stream task's instance that failed: it is printed. */
      readonly key: string | number | undefined;
      readonly error: Error;
    };

/** Prints a failure that no error stream or callback handles. */
export function reportFailure(failure: ReportedFailure): void {
  const { error } = failure;
  const what = 'request' in failure ? `request ${failure.request.id}` : failure.key === undefined ? 'the stream' : `key ${JSON.stringify(failure.key)}`;
  console.error(`rxjs-threadpool: ${what} failed and nothing handles its error:\n${error.stack ?? `${error.name}: ${error.message}`}`);
}
