/**
 * What a pool built from a path, a `file:` URL or inline functions gives
 * each Node worker thread it starts. Imports nothing, so the modules that
 * make workers (`NodeWorker`, the inline script, the path source) share it
 * without an import circle.
 *
 * @module
 */

/**
 * Memory limits of a Node worker thread: Node's `resourceLimits` of
 * `worker_threads`, restated here so that the library's types need no
 * @types/node (a browser project has none).
 *
 * @category Pools
 */
export interface ResourceLimits {
  /** The most memory, in MB, for the young generation of the worker's heap. */
  readonly maxYoungGenerationSizeMb?: number;
  /** The most memory, in MB, for the old generation of the worker's heap. */
  readonly maxOldGenerationSizeMb?: number;
  /** The size, in MB, of the memory set aside for generated code. */
  readonly codeRangeSizeMb?: number;
  /** The worker's stack size, in MB. */
  readonly stackSizeMb?: number;
}

/**
 * What a pool built from a path (or `file:` URL) gives each Node worker
 * thread it starts (Node's `Worker` options, restated so that the library's
 * types need no @types/node). A factory sets its own.
 *
 * @internal
 */
export interface ThreadOptions {
  readonly resourceLimits?: ResourceLimits;
  /** The worker's `process.env` (default: a copy of the main thread's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Added to the worker's `process.argv`. */
  readonly argv?: readonly string[];
  /** The worker's `process.execArgv`: the main thread's (a worker inherits them: loaders such as tsx stay), then these. */
  readonly execArgv?: readonly string[];
  /** The worker's `workerData`. */
  readonly workerData?: unknown;
  /** A name for the thread, shown in debuggers and heap snapshots. */
  readonly name?: string;
  /** Capture the worker's stdout (it is not written to the main thread's). */
  readonly stdout?: boolean;
  /** Capture the worker's stderr. */
  readonly stderr?: boolean;
}

/** The thread options a factory cannot be given (it makes its own `new Worker`). */
export const threadOptionNames = ['resourceLimits', 'env', 'argv', 'execArgv', 'workerData', 'name', 'stdout', 'stderr'] as const;
