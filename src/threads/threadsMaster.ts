/**
 * threads.js's master side (`spawn`, `Transfer`), loaded without its
 * process-wide side effects.
 *
 * Loading `threads` installs SIGINT and SIGTERM handlers that call
 * `process.exit` (threads.js 1.7, `master/implementation.node`): they would
 * take graceful shutdown away from every application that imports this
 * library. We load it lazily and remove the handlers that loading added. A
 * user who imports `threads` themselves keeps threads.js's behaviour.
 *
 * @module
 */
import type { WorkerApi } from '../protocol';
import { onNode } from '../runtime';

/** The part of a spawned threads.js thread we use. */
export type SpawnedThread = { [K in keyof WorkerApi]: (...args: Parameters<WorkerApi[K]>) => PromiseLike<Awaited<ReturnType<WorkerApi[K]>>> };

/** The parts of the `threads` package we use. */
export interface ThreadsMaster {
  spawn(worker: unknown, options?: { timeout?: number }): Promise<Partial<SpawnedThread>>;
  /** Marks `transferables` among `payload` to be moved, not copied. */
  Transfer(payload: unknown, transferables: readonly Transferable[]): unknown;
}

let master: ThreadsMaster | undefined;

/** threads.js's master side. */
export function threadsMaster(): ThreadsMaster {
  if (!master) {
    // In a browser there is no `process` and threads.js installs no handlers.
    const signals = onNode() ? (['SIGINT', 'SIGTERM'] as const) : [];
    const before = signals.map((signal) => new Set(process.listeners(signal)));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    master = require('threads') as ThreadsMaster;
    signals.forEach((signal, i) => {
      for (const listener of process.listeners(signal)) {
        if (!before[i].has(listener)) process.off(signal, listener);
      }
    });
  }
  return master;
}
