/**
 * The Node side of inline tasks (`createPool.fromFunctions`): the script a
 * `worker_threads` Worker evaluates, which loads this library's worker side
 * (`inline/exposeInlineTasks`, by absolute path, next to the `nodeRequire`
 * module in the sources or either build) and hands it the tasks' sources
 * (their shape is `src/inline/`'s: this module only carries them). Loaded
 * only through the Node `platform` module.
 *
 * @module
 */
import { nodeRequire } from '../nodeRequire.js';
import { NodeWorker } from './NodeWorker.js';
import type { ThreadOptions } from './threadOptions.js';
import { isTypeScriptFile, typeScriptProblem, typeScriptRunner } from './typeScriptWorker.js';

/** Makes the pool's workers for inline tasks. The script is made when the first worker starts: a library that cannot find its own files fails the pool with `WorkerStartError`. */
export function inlineWorkerFactory(specs: readonly object[], options?: ThreadOptions): () => NodeWorker {
  let script: string | undefined;
  return () => new NodeWorker({ code: (script ??= workerScript(specs)) }, options);
}

/**
 * The script a worker evaluates: loads the library's worker side by
 * absolute path (the `.ts` source through ts-node when the library runs
 * from its sources) and hands it the tasks. Wrapped in a function so the
 * tasks, evaluated in the global scope, do not see its names.
 */
export function workerScript(specs: readonly object[]): string {
  const entry = exposeInlineTasksPath();
  const lines = ['"use strict";', '(() => {', `  const specs = ${JSON.stringify(specs)};`];
  if (isTypeScriptFile(entry)) {
    // The library runs from its sources (its own tests): an eval worker inherits no hook, so ts-node it is.
    const { tsNode, problem = 'ts-node is not installed' } = typeScriptRunner();
    if (!tsNode) throw new Error(typeScriptProblem(entry, problem));
    lines.push(`  require(${JSON.stringify(tsNode)});`, `  require(${JSON.stringify(entry)}).exposeInlineTasks(specs);`);
  } else {
    // import() loads either build: the ES module, or the CommonJS one through Node's CommonJS interop.
    const url = (nodeRequire('node:url') as typeof import('node:url')).pathToFileURL(entry).href;
    lines.push(`  import(${JSON.stringify(url)}).then((entry) => (entry.exposeInlineTasks ?? entry.default.exposeInlineTasks)(specs));`);
  }
  lines.push('})();', '');
  return lines.join('\n');
}

/** The absolute path of `inline/exposeInlineTasks`, found from this library's own `require` (in the sources, the build, or either build of the package). */
function exposeInlineTasksPath(): string {
  // './inline/exposeInlineTasks.js' in a build; in the sources, ts-node and jest map it to the .ts file, or find it without the extension.
  for (const id of ['./inline/exposeInlineTasks.js', './inline/exposeInlineTasks']) {
    try {
      return nodeRequire.resolve(id);
    } catch {
      // try the next
    }
  }
  throw new Error('rxjs-threadpool cannot find its own inline/exposeInlineTasks module (next to its nodeRequire module): is the package complete?');
}
