/**
 * Starting a worker: from the runtime's start to the worker's ready
 * message, and what it takes to make that fail fast and never leak.
 *
 * The runtime makes the worker and listens to it before anything else.
 * The worker's ready message, which it posts unasked once its module has
 * loaded and its `setup` has finished, must come within `startTimeout`. A
 * worker that dies meanwhile, posts a message that is not ours (it does not
 * call `exposeTasks()`), or sends a malformed ready message fails its start
 * at once.
 *
 * @module
 */
import { errorFromRemote, WorkerStartError } from '../errors.js';
import { isErrorLike, isSerializedError, type SerializedError } from '../wire.js';
import { isTagged, READY, readyProblem, UNCAUGHT } from '../messages.js';
import type { RuntimeWorker, WorkerRuntime } from './runtime.js';

/** What a worker's module declared in its ready message. */
export interface Declared {
  /** Its task names. */
  readonly tasks: readonly string[];
  /** It declared `keyReleased` or has stream tasks: it is told of the key groups it loses. */
  readonly releases: boolean;
  /** It declared a `teardown`. */
  readonly teardown: boolean;
}

/** What a worker tells the one who started it. */
export interface WorkerEvents {
  /** A message of the worker's, once it is ready (but `uncaught`). */
  message(data: unknown): void;
  /** The worker died: it exited (`'exited with code 1'`) or emitted an error (`cause`). */
  died(reason: string, cause?: unknown): void;
  /** Its code threw, or left a promise rejected, outside any task; the worker lives on. */
  uncaughtError(error: Error): void;
  /** The module called `exposeTasks()` and its setup finished. */
  started(declared: Declared): void;
  /** The worker cannot start, for the reason `cause` (it could not be made, it timed out, it is not a tasks module). */
  startFailed(cause: unknown): void;
}

/** A worker being started. */
export interface WorkerStart {
  /** The worker, unless the runtime could not make one (`startFailed` follows). */
  readonly worker: RuntimeWorker | undefined;
  /** The worker was stopped: its start is no longer reported (`started`, `startFailed`), and its start timer is cleared. */
  abandon(): void;
}

/** Starts a worker of `runtime`, reporting to `events`; the module gets `startTimeout` ms to load and set up. */
export function startWorker(runtime: WorkerRuntime, startTimeout: number, events: WorkerEvents): WorkerStart {
  let abandoned = false;
  /** The start has been reported (started or failed). */
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = (error: unknown): void => {
    clearTimeout(timer);
    if (abandoned || settled) return;
    settled = true;
    events.startFailed(error);
  };
  const onMessage = (data: unknown): void => {
    const message = data as { type?: unknown; error?: unknown; tasks?: unknown; releases?: unknown; teardown?: unknown } | null;
    if (message?.type === UNCAUGHT) {
      const error = errorFromRemote(isSerializedError(message.error) ? message.error : { name: 'Error', message: 'unknown error' });
      if (settled) events.uncaughtError(error);
      else failed(error);
    } else if (settled) {
      events.message(data);
    } else if (message?.type === READY) {
      const problem = readyProblem(message);
      if (problem !== undefined) failed(new Error(`its ready message was malformed: ${problem}`));
      else if (message.tasks === undefined) failed(errorFromRemote(message.error as SerializedError));
      else {
        clearTimeout(timer);
        if (abandoned) return;
        settled = true;
        events.started({ tasks: message.tasks as readonly string[], releases: message.releases === true, teardown: message.teardown === true });
      }
    } else if (!isTagged(message)) {
      failed(new Error('it posted a message of its own before its ready message: the module does not call exposeTasks() from rxjs-threadpool/worker'));
    }
  };
  let worker: RuntimeWorker;
  try {
    worker = runtime.start({
      message: onMessage,
      ended: (reason, cause) => {
        if (settled) events.died(reason, cause);
        else failed(cause ?? new Error(`it ${reason} before calling exposeTasks()`));
      },
    });
  } catch (error) {
    queueMicrotask(() => failed(error));
    return { worker: undefined, abandon: () => void (abandoned = true) };
  }
  timer = setTimeout(() => failed(new Error(`it did not call exposeTasks() and finish its setup within startTimeout (${startTimeout} ms)`)), startTimeout);
  return {
    worker,
    abandon() {
      abandoned = true;
      clearTimeout(timer);
    },
  };
}

/** How a start error names a worker made by a factory whose error names no file of the user's. */
const FACTORY = '(from the worker factory)';

/** The `WorkerStartError` of a worker of `runtime` that could not start, for the reason `cause`. */
export function startError(runtime: WorkerRuntime, cause: unknown): WorkerStartError {
  return new WorkerStartError(runtime.file ?? fileFromMessage(cause) ?? FACTORY, cause);
}

/**
 * The first file an error's message names that is not a file of threads.js
 * or of this library: for a factory-made worker, whose file we are not told,
 * the path the factory was given (`Cannot find module '/app/x.worker.js'`).
 * Never the stack: its first frames are the library's own.
 */
function fileFromMessage(cause: unknown): string | undefined {
  let message: string;
  try {
    if (!isErrorLike(cause)) return undefined;
    message = cause.message;
  } catch {
    return undefined;
  }
  for (const [, file] of message.matchAll(/(\/[^\s:'"()]+\.[cm]?[jt]sx?)\b/g)) {
    if (!/[\\/]node_modules[\\/](threads|rxjs-threadpool)[\\/]|[\\/]dist[\\/](cjs|esm)[\\/]src[\\/]/.test(file)) return file;
  }
  return undefined;
}
