/**
 * How a subscription's source reaches its requests, for `poolMap` and
 * `poolPipe` alike: a `pullFrom` source is pulled only while the pipeline's
 * queue has room (and again as queued requests start); any other source is
 * subscribed through a subscriber chained to the output's. When the output
 * ends, however it ends, the pull stops and the pipeline closes.
 *
 * @module
 */
import type { Observable, Subscriber } from 'rxjs';
import type { Pipeline } from '../../src/scheduler/pipeline.js';
import { pullableOf } from '../pullFrom.js';
import { releaseOnEnd } from './cancellation.js';
import { PullLoop } from './pullLoop.js';
import type { RequestSubmitter } from './requestSubmitter.js';
import { SourceSubscriber } from './sourceSubscriber.js';

/** How many requests a pulled source may have waiting when `queue.size` is not given. */
const DEFAULT_PULL_QUEUE = 1000;

/** One subscription's source, fed to its requests. */
export class SourceFeed {
  /** Whether the source is pulled (`pullFrom`): its queue is bounded by pulling, never overflowed. */
  readonly pulled: boolean;
  private readonly iterable: ReturnType<typeof pullableOf>;
  private pullLoop: PullLoop | undefined;

  constructor(private readonly source: Observable<unknown>) {
    this.iterable = pullableOf(source);
    this.pulled = this.iterable !== undefined;
  }

  /** Queued requests started: a pulled source is pulled for as many as there is room for again. */
  readonly pull = (): void => void this.pullLoop?.pull();

  /**
   * Starts feeding `requests` from the source; `endSource` when it
   * completes. When the output ends: the pull stops, the pipeline closes,
   * then `release` runs. `queueSize`: how many requests a pulled source may
   * have waiting (default 1000).
   */
  start(
    subscriber: Subscriber<unknown>,
    requests: RequestSubmitter,
    pipeline: Pipeline,
    queueSize: number | undefined,
    signal: AbortSignal | undefined,
    endSource: () => void,
    release?: () => void,
  ): void {
    const limit = queueSize ?? DEFAULT_PULL_QUEUE;
    this.pullLoop = this.iterable
      ? new PullLoop(
          this.iterable,
          () => pipeline.hasRoomFor(limit),
          requests,
          endSource,
          (error) => subscriber.error(error),
        )
      : undefined;
    releaseOnEnd(subscriber, signal, () => {
      this.pullLoop?.stop();
      pipeline.close();
      release?.();
    });
    if (this.pullLoop) this.pullLoop.start();
    else this.source.subscribe(new SourceSubscriber(subscriber, requests, endSource));
  }
}
