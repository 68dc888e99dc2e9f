/**
 * The thread runtime: workers are threads (Node's `worker_threads` from a
 * path, a `file:` URL or inline functions; or whatever a factory returns: a
 * Web Worker, a `worker_threads` Worker, a threads.js `Worker`), driven
 * through Node's face or a Web Worker's (`WorkerPort`).
 *
 * @module
 */
import { errorFromRemote } from '../errors.js';
import type { Transferable } from '../transfer.js';
import { isSerializedError } from '../wire.js';
import type { EventLoopReading, RuntimeEvents, RuntimeWorker, WorkerRuntime } from '../workerExecutor/runtime.js';
import { isNodeWorker, type ResolvedSource, type WorkerPort } from './workerPort.js';

/** The runtime of threads made by `source`. */
export function threadRuntime(source: ResolvedSource): WorkerRuntime {
  return {
    kind: 'thread',
    file: source.file,
    canTransfer: true,
    start: (events) => startThread(source.create(), events),
  };
}

function startThread(worker: WorkerPort, events: RuntimeEvents): RuntimeWorker {
  let ended = false;
  const end = (reason: string, cause?: unknown): void => {
    if (ended) return;
    ended = true;
    events.ended(reason, cause);
  };
  const onMessage = (data: unknown): void => {
    const relayed = threadsUncaught(data);
    if (relayed) end('threw an uncaught error', relayed);
    else events.message(data);
  };
  if (isNodeWorker(worker)) {
    worker.on('error', (error) => end(deathReason(error), error));
    worker.on('exit', (code) => end(`exited with code ${code}`));
    worker.on('message', onMessage);
  } else {
    worker.addEventListener('error', (event) => {
      const cause = (event as { error?: unknown }).error ?? event;
      end(deathReason(cause), cause);
    });
    worker.addEventListener('message', (event) => onMessage(event.data));
  }
  const node = worker as Partial<{ ref(): void; unref(): void; stdout: unknown; stderr: unknown }>;
  return {
    post: (message: unknown, transfer?: readonly Transferable[]) => worker.postMessage(message, transfer),
    // Other workers never keep a page alive, and are left alone.
    hold: (on) => (on ? node.ref?.() : node.unref?.()),
    kill: () => {
      ended = true;
      return worker.terminate();
    },
    output: { stdout: node.stdout, stderr: node.stderr },
    eventLoop: () => eventLoopOf(worker),
  };
}

/**
 * The error of threads.js's own relay of an uncaught error (`{ type:
 * 'uncaughtError', error }`), posted by a thread that loaded threads.js's
 * worker runtime: the thread catches the error and lives on, so its
 * message is its death; else `undefined`.
 */
function threadsUncaught(data: unknown): Error | undefined {
  const message = data as { type?: unknown; error?: unknown } | null;
  if (typeof message !== 'object' || message === null || message.type !== 'uncaughtError') return undefined;
  return errorFromRemote(isSerializedError(message.error) ? message.error : { name: 'Error', message: 'unknown error' });
}

/** A worker's event-loop reading, if it is a Node worker thread (its `performance.eventLoopUtilization()`); read by shape. */
function eventLoopOf(worker: unknown): EventLoopReading | undefined {
  const performance = (worker as { performance?: { eventLoopUtilization?: () => { idle: number; active: number; utilization: number } } } | undefined)
    ?.performance;
  if (typeof performance?.eventLoopUtilization !== 'function') return undefined;
  const { idle, active, utilization } = performance.eventLoopUtilization();
  return { activeMs: active, idleMs: idle, utilization };
}

/** How an error event names the death: running out of memory is worth saying. */
function deathReason(cause: unknown): string {
  return codeOf(cause) === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory (its resourceLimits)' : 'threw an uncaught error';
}

/** An error's `code`, read without trusting the error (a factory's worker may emit a revoked proxy, or a getter that throws). */
function codeOf(cause: unknown): unknown {
  try {
    return (cause as { code?: unknown } | undefined)?.code;
  } catch {
    return undefined;
  }
}
