import { from, Observable } from 'rxjs';

const pullable: unique symbol = Symbol.for('rxjs-threadpool.pullable') as never;

/**
 * A source that `poolMap` pulls from, only as fast as its queue has room.
 * Made by {@link pullFrom}; to any other operator it is an ordinary
 * Observable.
 *
 * @typeParam T - The values.
 */
export interface PullSource<T> extends Observable<T> {
  /** @internal */
  readonly [pullable]: AsyncIterable<T> | Iterable<T>;
}

/**
 * Wraps a (possibly lazy, possibly endless) iterable or async iterable as a
 * source that `poolMap` *pulls* from: it takes the next value only when its
 * queue has room (`queue.size`, default 1000), so a generator of a million
 * requests runs in bounded memory. Any other operator subscribes to it like
 * `from(iterable)`.
 *
 * ```text
 * pool of 1 worker (createVirtualPool), each request takes 4 frames
 *
 * pulled:  (ab)c---d---e---|        when each value is taken from the iterable
 *          pullFrom(iterable).pipe(poolMap(pool, 'task', { queue: { size: 1 } }))
 * output:  ----A---B---C---D---(E|)
 *
 * a starts at once and b fills the queue (both on frame 0); each later value
 * is taken only when the one before it leaves the queue for the worker
 * ```
 *
 * @example
 * ```ts
 * async function* lines() { for await (const line of readline.createInterface({ input })) yield line; }
 * pullFrom(lines()).pipe(poolMap(pool, 'parse', { queue: { size: 1000 } })).subscribe(...);
 * ```
 * @see {@link poolMap}
 * @typeParam T - The values.
 * @param iterable - The values, pulled one at a time.
 * @return A source for `poolMap`.
 */
export function pullFrom<T>(iterable: AsyncIterable<T> | Iterable<T>): PullSource<T> {
  const source = from(iterable) as Observable<T> & { [pullable]?: AsyncIterable<T> | Iterable<T> };
  source[pullable] = iterable;
  return source as PullSource<T>;
}

/** The iterable behind a {@link PullSource}, or `undefined` for any other source. */
export function pullableOf<T>(source: Observable<T>): AsyncIterable<T> | Iterable<T> | undefined {
  return (source as Partial<PullSource<T>>)[pullable];
}
