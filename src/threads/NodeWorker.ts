/**
 * A `worker_threads` Worker with the `addEventListener` face threads.js's
 * `spawn` talks to.
 *
 * Used for pools made from a path or file URL. Unlike threads.js's own
 * `Worker` it takes absolute paths as they are (threads.js joins the
 * caller's folder onto them) and is not kept in a module-level list for
 * ever, so replacing workers many times does not leak.
 *
 * @module
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';

type Listener = (event: { data: unknown }) => void;

/** Whether a worker file is TypeScript (run through ts-node, as threads.js does). */
export function isTypeScriptFile(file: string): boolean {
  return /\.[cm]?tsx?$/i.test(file);
}

/** A Node worker thread that threads.js can `spawn`. */
export class NodeWorker extends Worker {
  private readonly mapped = new Map<Listener, (data: unknown) => void>();

  /** @param file - The worker file, or `{ code }`: a script to evaluate (inline tasks). */
  constructor(file: string | { readonly code: string }, resourceLimits?: ResourceLimits) {
    super(...NodeWorker.argumentsFor(file, resourceLimits));
  }

  private static argumentsFor(file: string | { readonly code: string }, resourceLimits: ResourceLimits | undefined): [string, { eval: boolean; resourceLimits?: ResourceLimits }] {
    const limits = resourceLimits === undefined ? {} : { resourceLimits };
    if (typeof file !== 'string') return [file.code, { eval: true, ...limits }];
    return isTypeScriptFile(file)
      ? [`require("ts-node/register/transpile-only");\nrequire(${JSON.stringify(file)});`, { eval: true, ...limits }]
      : [file, { eval: false, ...limits }];
  }

  addEventListener(type: string, listener: Listener): void {
    const mapped = (data: unknown): void => listener({ data });
    this.mapped.set(listener, mapped);
    this.on(type, mapped);
  }

  removeEventListener(type: string, listener: Listener): void {
    const mapped = this.mapped.get(listener);
    if (!mapped) return;
    this.mapped.delete(listener);
    this.off(type, mapped);
  }
}
