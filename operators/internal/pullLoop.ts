/**
 * A {@link pullFrom} source: `poolMap` takes the next value from its
 * iterable only while the pipeline's queue has room, so a lazy, endless
 * iterable runs in bounded memory. Synchronous iterables are pulled
 * synchronously, async ones one value at a time.
 *
 * @module
 */
import type { RequestSubmitter } from './requestSubmitter.js';

/** Pulls values from an iterable into a pipeline's requests while there is room, until it is done or stopped. */
export class PullLoop {
  private iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
  /** A pull is under way (awaiting an async iterator): another call waits for it to go on. */
  private pulling = false;
  /** The iterator said it is done. */
  private done = false;
  /** The subscription ended: no more values are wanted. */
  private stopped = false;

  /**
   * @param iterable - The values.
   * @param hasRoom - Whether the pipeline's queue takes another request now.
   * @param requests - Where each value goes.
   * @param onDone - Called once when the iterator is done.
   * @param onError - Called with what the iterator (or a bug on the way) threw.
   */
  constructor(
    private readonly iterable: AsyncIterable<unknown> | Iterable<unknown>,
    private readonly hasRoom: () => boolean,
    private readonly requests: RequestSubmitter,
    private readonly onDone: () => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Gets the iterator and pulls what there is room for. */
  start(): void {
    const iterable = this.iterable;
    this.iterator = Symbol.asyncIterator in iterable ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    void this.pull();
  }

  /** Takes values while the queue has room (called again when queued requests start). */
  async pull(): Promise<void> {
    const iterator = this.iterator;
    if (this.pulling || this.stopped || this.done || !iterator) return;
    this.pulling = true;
    try {
      while (!this.stopped && this.hasRoom()) {
        const pending = iterator.next();
        const next = isPromise(pending) ? await pending : pending;
        if (this.stopped) return;
        if (next.done) {
          this.done = true;
          this.onDone();
          return;
        }
        this.requests.submit(next.value);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.pulling = false;
    }
  }

  /** No more values are wanted: the loop stops and the iterator is told so (its `return`). */
  stop(): void {
    this.stopped = true;
    closeIterator(this.iterator);
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Partial<Promise<T>>)?.then === 'function';
}

/**
 * Tells a pulled iterator that no more values are wanted. What its `return`
 * does wrong (a rejection; a generator already running, when it aborted its
 * own signal) must not become an unhandled error of the process.
 */
function closeIterator(iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined): void {
  try {
    const closing = iterator?.return?.();
    if (isPromise(closing)) closing.catch(() => undefined);
  } catch {
    // Already running or already done: nothing to close.
  }
}
