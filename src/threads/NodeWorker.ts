/**
 * A `worker_threads` Worker made from the pool's thread options.
 *
 * Used for pools made from a path, a file URL or inline functions. Unlike threads.js's own
 * `Worker` it takes absolute paths as they are (threads.js joins the
 * caller's folder onto them), is not kept in a module-level list for ever,
 * so replacing workers many times does not leak, and leaves TypeScript to
 * the loader the program runs under (see `typeScriptWorker`).
 *
 * @module
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { ThreadOptions } from './threadOptions.js';

/** A Node worker thread, given the pool's thread options. */
export class NodeWorker extends Worker {
  /**
   * @param file - The worker file (absolute path), a module URL (the
   * bootstrap of a TypeScript file), or `{ code }`: a script to evaluate
   * (inline tasks).
   */
  constructor(file: string | URL | { readonly code: string }, options: ThreadOptions = {}) {
    super(...NodeWorker.argumentsFor(file, options));
  }

  private static argumentsFor(file: string | URL | { readonly code: string }, options: ThreadOptions): [string | URL, WorkerOptions] {
    const { resourceLimits, env, argv, execArgv, workerData, name, stdout, stderr } = options;
    const given: WorkerOptions = {
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
      ...(env === undefined ? {} : { env: Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)) }),
      ...(argv === undefined ? {} : { argv: [...argv] }),
      // Given, execArgv replaces what a worker inherits: the main thread's come first, so its loaders (tsx, ts-node) stay.
      ...(execArgv === undefined ? {} : { execArgv: [...process.execArgv, ...execArgv] }),
      ...(workerData === undefined ? {} : { workerData }),
      ...(name === undefined ? {} : { name }),
      ...(stdout ? { stdout: true } : {}),
      ...(stderr ? { stderr: true } : {}),
    };
    return typeof file === 'string' || file instanceof URL ? [file, { eval: false, ...given }] : [file.code, { eval: true, ...given }];
  }
}
