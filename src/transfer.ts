/**
 * Results that move rather than copy: the worker side of transfer.
 *
 * @module
 */
/**
 * A value that moves to the other thread instead of being copied: an
 * `ArrayBuffer` (`typedArray.buffer` included), a `MessagePort`, a stream,
 * a `FileHandle`... whatever the runtime can transfer.
 *
 * Defined structurally (any object), not as Node's `TransferListItem` or the
 * DOM's `Transferable`: the first left `node:worker_threads` in @types/node
 * 26, the second does not exist in a project without the DOM library, and
 * each runtime's list differs. What the runtime cannot move is refused when
 * the request is sent, as a `DataCloneError` outcome.
 *
 * @category Tasks
 */
export type Transferable = ArrayBufferLike | object;

const brand: unique symbol = Symbol.for('rxjs-threadpool.Transfer') as never;

interface TransferMarker {
  readonly [brand]: true;
  readonly value: unknown;
  readonly transferables: readonly Transferable[];
}

/**
 * Marks a task's result so that `transferables` (ArrayBuffers, MessagePorts
 * and the like inside `value`) move to the main thread instead of being
 * copied. The worker loses access to them. Typed as `value`'s type, so the
 * master side sees the plain result type.
 *
 * @example
 * ```ts
 * exposeTasks({
 *   scale(samples: Float64Array, by: number) {
 *     for (let i = 0; i < samples.length; i++) samples[i] *= by;
 *     return transfer(samples, [samples.buffer]);
 *   },
 * });
 * ```
 * @typeParam T - The result's type.
 * @param value - The result.
 * @param transferables - What to move: buffers inside `value`.
 * @returns `value`, marked.
 */
export function transfer<T>(value: T, transferables: readonly Transferable[]): T {
  const marker: TransferMarker = { [brand]: true, value, transferables };
  return marker as unknown as T;
}

/** Unwraps a value marked by {@link transfer}; adds its transferables to `into`. */
export function unwrapTransfer(value: unknown, into?: Transferable[]): unknown {
  if (typeof value !== 'object' || value === null || (value as Partial<TransferMarker>)[brand] !== true) return value;
  const marker = value as TransferMarker;
  if (into) for (const item of marker.transferables) into.push(item);
  return marker.value;
}
