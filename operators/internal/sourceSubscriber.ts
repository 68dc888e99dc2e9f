/**
 * The subscriber `poolMap` gives an ordinary (pushing) source.
 *
 * @module
 */
import { Subscriber } from 'rxjs';
import type { RequestSubmitter } from './requestSubmitter.js';

/**
 * Chained to the output's subscriber (as RxJS's own operators chain
 * theirs), so when the output closes the source sees `closed` at once, even
 * mid-emission, and a synchronous source stops. Each value goes straight to
 * the pipeline's {@link RequestSubmitter}. A source error goes to the output
 * at once; completion waits for the outcomes still to come (`onComplete`
 * decides).
 */
export class SourceSubscriber extends Subscriber<unknown> {
  /**
   * @param destination - The output's subscriber.
   * @param requests - Where each value goes.
   * @param onComplete - Called when the source completes.
   */
  constructor(
    destination: Subscriber<unknown>,
    private readonly requests: RequestSubmitter,
    private readonly onComplete: () => void,
  ) {
    super(destination);
  }

  protected override _next(value: unknown): void {
    try {
      this.requests.submit(value);
    } catch (error) {
      // Only a bug of ours can land here (a request's own faults become its outcome): the stream errors, as in RxJS.
      this.destination.error(error);
    }
  }

  protected override _complete(): void {
    try {
      this.onComplete();
    } finally {
      this.unsubscribe();
    }
  }
}
