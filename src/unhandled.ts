/**
 * An error nobody can be handed (an outcome's owner that threw, a size
 * Observable's bad value): reported as RxJS reports an unhandled error.
 *
 * @module
 */
import { config } from 'rxjs';

/** Reports `error` to RxJS's `config.onUnhandledError`, else throws it asynchronously (as RxJS does). */
export function reportUnhandled(error: unknown): void {
  const report = config.onUnhandledError;
  if (report) report(error);
  else
    setTimeout(() => {
      throw error;
    });
}
