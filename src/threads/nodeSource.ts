/**
 * Pool workers from an absolute path or a `file:` URL: Node only. Loaded
 * lazily by `workerSource`, so a browser bundle never runs these imports.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidOptionError } from '../errors';
import { isTypeScriptFile, NodeWorker } from './NodeWorker';
import type { ResolvedSource } from './workerSource';

const extensions = ['', '.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

/** `resolveSource` for a worker that is not a factory (Node only). */
export function resolvePathSource(worker: string | URL, resourceLimits?: ResourceLimits): ResolvedSource {
  const expected = 'a function returning a threads.js Worker, an absolute path, or a file: URL';
  let path: string;
  if (worker instanceof URL || (typeof worker === 'string' && worker.startsWith('file:'))) {
    if (new URL(worker).protocol !== 'file:') throw new InvalidOptionError('worker', String(worker), expected);
    path = fileURLToPath(worker);
  } else if (typeof worker === 'string' && isAbsolute(worker)) {
    path = worker;
  } else {
    throw new InvalidOptionError(
      'worker',
      worker,
      typeof worker === 'string' ? `${expected} (to resolve a relative path from your file, pass () => new Worker("${worker}"))` : expected,
    );
  }
  const file = path;
  return {
    file,
    create() {
      const found = extensions.map((extension) => file + extension).find((candidate) => existsSync(candidate));
      if (!found) throw new Error(`no such file: ${file}`);
      if (isTypeScriptFile(found) && !canResolve('ts-node/register/transpile-only')) {
        throw new Error(`${found} is TypeScript and ts-node is not installed: install ts-node, or point the pool at the compiled .js file`);
      }
      return new NodeWorker(found, resourceLimits);
    },
  };
}

/** Whether the worker's `require`, which resolves from the working directory, finds `id`. */
function canResolve(id: string): boolean {
  try {
    createRequire(join(process.cwd(), 'worker.js')).resolve(id);
    return true;
  } catch {
    return false;
  }
}
