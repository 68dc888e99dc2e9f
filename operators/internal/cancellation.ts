/**
 * How a `poolMap` subscription ends early: the subscriber unsubscribes
 * (`take`, an error downstream), or the `signal` option aborts, which
 * completes the output as if it had. Either way what the subscription holds
 * is released at once: a pull loop stops, and the pipeline closes (its queued
 * requests never start; its running ones are abandoned, or with `cancel:
 * 'terminate'` their workers terminated, by the scheduler).
 *
 * @module
 */
import type { Subscriber } from 'rxjs';

/**
 * Whether the signal was aborted before the subscription started: then the
 * output completes at once and nothing else is done.
 */
export function abortedAtStart(signal: AbortSignal | undefined, subscriber: Subscriber<unknown>): boolean {
  if (!signal?.aborted) return false;
  subscriber.complete();
  return true;
}

/**
 * Calls `release` when the subscription ends, however it ends, and ends it
 * (completes the output) when `signal` aborts. Call it before subscribing
 * to the source, so that closing the output releases the pipeline even while a
 * synchronous source is still emitting. The signal's one listener is
 * removed when the subscription ends.
 */
export function releaseOnEnd(subscriber: Subscriber<unknown>, signal: AbortSignal | undefined, release: () => void): void {
  const onAbort = (): void => subscriber.complete();
  subscriber.add(() => {
    signal?.removeEventListener('abort', onAbort);
    release();
  });
  signal?.addEventListener('abort', onAbort, { once: true });
}
