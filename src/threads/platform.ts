/**
 * What the pool takes from its platform, in Node: the default pool size,
 * and workers from paths and `file:` URLs, as threads or child processes.
 *
 * The package's `browser` field swaps this module for `platform.browser`,
 * so a browser bundle never loads Node's modules; the two export the same
 * names.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors.js';
import { NodeWorker } from './NodeWorker.js';
import { isTypeScriptFile, typeScriptProblem, typeScriptRunner, typeScriptWorkerUrl } from './typeScriptWorker.js';
export { inlineWorkerFactory } from './inlineThreads.js';
import type { ResolvedSource } from './workerPort.js';
import { processRuntime } from '../process/processRuntime.js';
import type { WorkerRuntime } from '../workerExecutor/runtime.js';
import type { ThreadOptions } from './threadOptions.js';

/** Workers a pool starts when its `size` is not given: Node's `availableParallelism()`. */
export function defaultPoolSize(): number {
  return availableParallelism();
}

const extensions = ['', '.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

/**
 * The files a worker path may name, in order: itself, itself with an
 * extension added, and for `x.js` (`.mjs`, `.cjs`) its TypeScript source
 * `x.ts` (`.mts`, `.cts`), as TypeScript's own imports map them: the same
 * `new URL('./tasks.worker.js', import.meta.url)` then finds the compiled
 * file after `tsc`, and the source under tsx or type stripping.
 */
function candidates(file: string): string[] {
  const source = /\.([cm]?)js$/.exec(file);
  const all = extensions.map((extension) => file + extension);
  return source ? [...all, `${file.slice(0, -source[0].length)}.${source[1]}ts`] : all;
}

/** The absolute path a worker given as an absolute path or a `file:` URL names; throws `InvalidOptionError` for anything else. */
function workerPath(worker: unknown): string {
  const expected = 'a file: URL, an absolute path, or a function returning a worker';
  if (worker instanceof URL || (typeof worker === 'string' && worker.startsWith('file:'))) {
    if (new URL(worker).protocol !== 'file:') throw new InvalidOptionError('worker', String(worker), expected);
    return fileURLToPath(worker);
  }
  if (typeof worker === 'string' && isAbsolute(worker)) return worker;
  throw new InvalidOptionError(
    'worker',
    worker,
    typeof worker === 'string'
      ? `${expected} (for a path relative to your file: new URL("${worker}", import.meta.url), join(__dirname, "${worker}"), or () => new Worker("${worker}") with threads.js's Worker)`
      : expected,
  );
}

/** The file to load for the worker file `file` (see {@link candidates}); throws when there is none. */
function existingFile(file: string): string {
  const found = candidates(file).find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`no such file: ${file}`);
  return found;
}

/** `resolveSource` for a worker given as an absolute path or a `file:` URL. */
export function resolvePathSource(worker: unknown, options: ThreadOptions = {}): ResolvedSource {
  const file = workerPath(worker);
  return {
    file,
    create() {
      const found = existingFile(file);
      if (!isTypeScriptFile(found)) return new NodeWorker(found, options);
      const runner = typeScriptRunner();
      if (runner.problem) throw new Error(typeScriptProblem(found, runner.problem));
      return new NodeWorker(typeScriptWorkerUrl(found, runner), options);
    },
  };
}

/** The process runtime (`runtime: 'process'`) of a worker given as an absolute path or a `file:` URL. */
export function resolveProcessRuntime(worker: unknown, options: ThreadOptions = {}): WorkerRuntime {
  return processRuntime(workerPath(worker), existingFile, options);
}
