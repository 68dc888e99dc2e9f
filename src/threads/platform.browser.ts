/**
 * What the pool takes from its runtime, in a browser: the package's
 * `browser` field puts this module in place of `platform` (Node's), so a
 * bundle holds no Node module. Same names as `platform`.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import type { ResolvedSource, WorkerPort } from './workerPort.js';
import type { WorkerRuntime } from '../workerExecutor/runtime.js';

/** Inline tasks run on Node's worker_threads: in a browser, use a worker module. */
export function inlineWorkerFactory(): () => WorkerPort {
  throw new InvalidOptionError(
    'createPool.fromFunctions',
    'a browser',
    'Node.js: inline tasks run on worker_threads (in a browser, use a worker module: createPool(() => new Worker(new URL("./tasks.worker.js", import.meta.url), { type: "module" })))',
  );
}

/** Workers a pool starts when its `size` is not given: `navigator.hardwareConcurrency` (4 when unknown). */
export function defaultPoolSize(): number {
  const cpus = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof cpus === 'number' && Number.isInteger(cpus) && cpus > 0 ? cpus : 4;
}

/** Paths and file URLs need Node's file system and worker threads: in a browser, a worker is a factory. */
export function resolvePathSource(worker: unknown): ResolvedSource {
  throw new InvalidOptionError(
    'worker',
    worker,
    'a function returning a worker (in a browser: () => new Worker(new URL("./tasks.worker.js", import.meta.url), { type: "module" }))',
  );
}

/** Child processes are Node's: in a browser, workers are Web Workers. */
export function resolveProcessRuntime(): WorkerRuntime {
  throw new InvalidOptionError('runtime', 'process', "'thread' in a browser (child processes are Node's)");
}
