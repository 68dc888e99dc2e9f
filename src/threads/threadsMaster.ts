/**
 * threads.js's master side (`spawn`, `Transfer`), loaded once, on first use,
 * by the runtime's `platform` module.
 *
 * @module
 */
import type { WorkerApi } from './messages.js';
import type { Transferable } from '../transfer.js';
import { loadThreads } from './platform.js';

/** The part of a spawned threads.js thread we use. */
export type SpawnedThread = {
  [K in keyof WorkerApi]: (...args: Parameters<NonNullable<WorkerApi[K]>>) => PromiseLike<Awaited<ReturnType<NonNullable<WorkerApi[K]>>>>;
};

/** The parts of the `threads` package we use. */
export interface ThreadsMaster {
  spawn(worker: unknown, options?: { timeout?: number }): Promise<Partial<SpawnedThread>>;
  /** Marks `transferables` among `payload` to be moved, not copied. */
  Transfer(payload: unknown, transferables: readonly Transferable[]): unknown;
}

let master: ThreadsMaster | undefined;

/** threads.js's master side. */
export function threadsMaster(): ThreadsMaster {
  master ??= loadThreads();
  return master;
}
