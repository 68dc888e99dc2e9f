/**
 * The runtime seam, below the worker executor: what starts a worker and
 * carries its messages. The executor asks a runtime for a worker, posts to
 * it and hears from it, holds the process for it or not, and kills it; it
 * never learns whether the worker is a thread (Node's `worker_threads`, a
 * Web Worker, a threads.js `Worker`: `src/threads/`) or a child process
 * (`src/process/`). The worker side is one for every runtime
 * (`src/worker/`: `exposeTasks` and the batch runner, speaking
 * `src/messages.ts`).
 *
 * @module
 */
import type { Transferable } from '../transfer.js';

/** What a runtime tells about one worker it started, from the moment it starts it. */
export interface RuntimeEvents {
  /** A message the worker posted. */
  message(data: unknown): void;
  /**
   * The worker ended on its own, or could not run: it exited (`'exited with
   * code 1'`), was killed by a signal, or died of an error (`cause`). Told
   * at most once; not told for a worker the executor killed.
   */
  ended(reason: string, cause?: unknown): void;
}

/** A worker's event-loop reading since it started (Node's `eventLoopUtilization()`), in ms. */
export interface EventLoopReading {
  readonly activeMs: number;
  readonly idleMs: number;
  readonly utilization: number;
}

/** One worker a runtime started. */
export interface RuntimeWorker {
  /**
   * Posts `message`; `transfer` lists the buffers it moves (a runtime that
   * cannot move them copies them). Throws when the message cannot be sent
   * (it cannot be cloned, a transferable is detached).
   */
  post(message: unknown, transfer?: readonly Transferable[]): void;
  /** Makes it keep the process alive (`true`: it is starting, busy or tearing down) or not (`false`: idle). */
  hold(on: boolean): void;
  /** Stops it now, whatever it runs; may return a promise of when it has (which may never settle: the caller bounds the wait). */
  kill(): unknown;
  /** Its captured stdout and stderr (Node readable streams), when the runtime was asked to capture them. */
  readonly output?: { readonly stdout?: unknown; readonly stderr?: unknown };
  /** Its event loop's reading, when the runtime can read it from outside (Node worker threads). */
  eventLoop?(): EventLoopReading | undefined;
}

/** A way to start the workers of one pool: each runs the pool's worker module. */
export interface WorkerRuntime {
  /** What it starts, for errors and docs: `'thread'` or `'process'`. */
  readonly kind: 'thread' | 'process';
  /** The worker file, when known (for error messages). */
  readonly file: string | undefined;
  /** Whether a message's transfer list moves its buffers (threads) or they are copied (child processes). */
  readonly canTransfer: boolean;
  /**
   * Starts a worker, telling `events` of it from then on (listening before
   * anything else: an error event without a listener would crash the
   * process). Throws when it cannot make one (no such file, a factory that
   * threw).
   */
  start(events: RuntimeEvents): RuntimeWorker;
}
