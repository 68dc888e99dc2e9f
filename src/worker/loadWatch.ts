/**
 * Watching a worker module finish loading: what it throws (or leaves
 * rejected) after calling `exposeTasks`, until its ready message is
 * posted, fails its start.
 *
 * @module
 */

/** What went wrong while the worker module was loading, after exposeTasks was called. */
export interface LoadWatch {
  /** Stops watching; returns the first uncaught error or rejection seen (or `undefined`). */
  stop(): unknown;
}

/**
 * Records uncaught errors and rejections from the moment exposeTasks is
 * called until the ready message is due (the module has loaded and its
 * `setup` finished): the ready message then carries the first as the
 * start's error. Without it a module that throws at load after calling
 * exposeTasks would look ready, then fail, again and again with each
 * replacement.
 */
export function watchLoad(): LoadWatch {
  let first: { readonly error: unknown } | undefined;
  const record = (error: unknown): void => {
    first ??= { error };
  };
  const node = typeof process === 'object' && typeof process.on === 'function' ? process : undefined;
  const onEvent = (event: { readonly error?: unknown; readonly reason?: unknown }): void => record(event.error ?? event.reason ?? event);
  // A Web Worker's global scope (typed here: the library's types do not assume the DOM library).
  const scope = globalThis as unknown as Partial<Record<'addEventListener' | 'removeEventListener', (type: string, listener: typeof onEvent) => void>>;
  if (node) {
    node.on('uncaughtException', record);
    node.on('unhandledRejection', record);
  } else {
    scope.addEventListener?.('error', onEvent);
    scope.addEventListener?.('unhandledrejection', onEvent);
  }
  let stopped = false;
  return {
    stop() {
      if (!stopped) {
        stopped = true;
        if (node) {
          node.off('uncaughtException', record);
          node.off('unhandledRejection', record);
        } else {
          scope.removeEventListener?.('error', onEvent);
          scope.removeEventListener?.('unhandledrejection', onEvent);
        }
      }
      return first?.error;
    },
  };
}
