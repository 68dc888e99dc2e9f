/**
 * The parts of threads.js's master side we use, typed (its own types are
 * not found under every module resolution). The platform module loads it
 * (`loadThreads`); `threadStart` uses it.
 *
 * @module
 */
import type { WorkerApi } from '../messages.js';

/** The part of a spawned threads.js thread we use: {@link WorkerApi}, each call answered through threads.js. */
export type SpawnedThread = {
  [K in keyof WorkerApi]: (...args: Parameters<NonNullable<WorkerApi[K]>>) => PromiseLike<Awaited<ReturnType<NonNullable<WorkerApi[K]>>>>;
};

/** The parts of the `threads` package we use. */
export interface ThreadsMaster {
  /** Waits for the worker's init message (at most `timeout` ms) and returns what it exposed. */
  spawn(worker: unknown, options?: { timeout?: number }): Promise<Partial<SpawnedThread>>;
}
