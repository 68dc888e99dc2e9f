/**
 * The worker's side of its message channel to the master: Node's
 * `parentPort`, or a Web Worker's global scope.
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

interface WebWorkerScope {
  postMessage(message: unknown, transfer?: readonly Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/** The channel to the master, or `undefined` on the main thread. */
export function masterPort(): MasterPort | undefined {
  const parentPort = nodeParentPort();
  if (parentPort !== undefined) {
    if (!parentPort) return undefined;
    return {
      post: (message, transfer) => parentPort.postMessage(message, transfer as never),
      listen: (listener) => parentPort.on('message', listener),
    };
  }
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
