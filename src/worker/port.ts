/**
 * The worker's side of its message channel to the master: Node's
 * `parentPort` (a worker thread), the IPC channel of a child process the
 * pool started (`src/process/`), or a Web Worker's global scope.
 *
 * @module
 */

import { nodeParentPort } from './platform.js';
import type { Transferable } from '../transfer.js';

/** What a worker needs of its channel to the master. */
export interface MasterPort {
  post(message: unknown, transfer?: readonly Transferable[]): void;
  listen(listener: (data: unknown) => void): void;
}

/** The part of a child process's `process` its channel needs. */
interface ChildProcessSide {
  send(message: unknown): boolean;
  on(event: 'message', listener: (data: unknown) => void): unknown;
}

interface WebWorkerScope {
  postMessage(message: unknown, transfer?: readonly Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/**
 * Set on the global object by the bootstrap of a child process the pool
 * started, before it loads the worker module: a process that merely has an
 * IPC channel (one a test runner forked, say) is not a pool's worker.
 */
export const PROCESS_WORKER = Symbol.for('rxjs-threadpool.processWorker');

/** The channel to the master, or `undefined` on the main thread (or in any process the pool did not start). */
export function masterPort(): MasterPort | undefined {
  const parentPort = nodeParentPort();
  if (parentPort) {
    return {
      post: (message, transfer) => parentPort.postMessage(message, transfer as never),
      listen: (listener) => parentPort.on('message', listener),
    };
  }
  const child = typeof process === 'object' ? (process as Partial<ChildProcessSide>) : undefined;
  if ((globalThis as Record<symbol, unknown>)[PROCESS_WORKER] === true && typeof child?.send === 'function' && typeof child.on === 'function') {
    const { send, on } = child as ChildProcessSide;
    // A child process copies what a thread would move: the IPC channel carries structured clones, no transfer.
    return {
      post: (message) => void send.call(process, message),
      listen: (listener) => void on.call(process, 'message', listener),
    };
  }
  if (parentPort === null) return undefined;
  const scope = globalThis as unknown as Partial<WebWorkerScope> & { document?: unknown };
  if (typeof scope.postMessage === 'function' && typeof scope.addEventListener === 'function' && scope.document === undefined) {
    const web = scope as WebWorkerScope;
    return {
      post: (message, transfer) => web.postMessage(message, transfer ?? []),
      listen: (listener) => web.addEventListener('message', (event) => listener(event.data)),
    };
  }
  return undefined;
}
