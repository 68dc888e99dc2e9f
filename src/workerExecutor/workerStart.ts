/**
 * Starting a worker thread: the handshake with threads.js, and what it
 * takes to make that handshake fail fast and never leak.
 *
 * The worker is made by the pool's source, its events are listened to
 * before anything else (an `error` event without a listener would crash
 * the process), and threads.js's `spawn` waits for the module's init
 * message; the worker's ready message, which it posts unasked once the
 * module has loaded and its `setup` has finished, must follow within what
 * is left of `startTimeout`. A worker that dies, throws or never calls
 * `exposeTasks()` meanwhile fails its start at once, instead of threads.js's
 * 10-second init timeout.
 *
 * @module
 */
import { errorFromRemote, WorkerStartError } from '../errors.js';
import { isErrorLike, isSerializedError, type SerializedError } from '../wire.js';
import { READY, readyProblem } from '../messages.js';
import { loadThreads } from '../threads/platform.js';
import type { SpawnedThread, ThreadsMaster } from '../threads/threadsMaster.js';
import type { ResolvedSource, WorkerPort } from '../threads/workerPort.js';

/** What a thread tells the one who started it. */
export interface ThreadEvents {
  /** A message on the worker's port (but threads.js's `uncaughtError`). */
  message(data: unknown): void;
  /** The thread died: it exited (`'exited with code 1'`) or emitted an error (`cause`). */
  died(reason: string, cause?: unknown): void;
  /** threads.js caught an uncaught error or rejection in the thread, which lives on. */
  uncaughtError(error: Error): void;
  /** The module called `exposeTasks()` and its setup finished: `names` are its tasks; `releases`, it declared `keyReleased`. */
  started(thread: SpawnedThread, names: readonly string[], releases: boolean): void;
  /** The thread cannot start, for the reason `cause` (its source threw, it timed out, it is not a tasks module). */
  startFailed(cause: unknown): void;
}

/** A thread being started. */
export interface ThreadStart {
  /** The worker, unless the source could not make one (`startFailed` follows). */
  readonly worker: WorkerPort | undefined;
  /**
   * The thread was stopped: its start is no longer reported (`started`,
   * `startFailed`), its setup timer is cleared, and threads.js's wait for an
   * init message ends (its 10 s timer would hold the process).
   */
  abandon(): void;
}

let master: ThreadsMaster | undefined;

type Listener = (event: { data: unknown }) => void;

/** What a Node worker (threads.js's or ours) adds to {@link WorkerPort}. */
interface NodeEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (data: unknown) => void): unknown;
}

function isNodeWorker(worker: WorkerPort): worker is WorkerPort & NodeEvents {
  return typeof (worker as Partial<NodeEvents>).on === 'function';
}

/** Makes a worker from `source` and starts it, reporting to `events`; the module gets `startTimeout` ms in all. */
export function startThread(source: ResolvedSource, startTimeout: number, events: ThreadEvents): ThreadStart {
  let abandoned = false;
  let worker: WorkerPort;
  try {
    worker = source.create();
  } catch (error) {
    queueMicrotask(() => abandoned || events.startFailed(error));
    return { worker: undefined, abandon: () => void (abandoned = true) };
  }
  /** The thread threads.js spawned, and what the worker's ready message said, until both are in. */
  let spawned: SpawnedThread | undefined;
  let announced: { readonly tasks: readonly string[]; readonly releases: boolean } | { readonly error: unknown } | undefined;
  const onMessage = (data: unknown): void => {
    const message = data as { type?: unknown; error?: unknown; tasks?: unknown; releases?: unknown } | null;
    if (typeof message === 'object' && message !== null && message.type === 'uncaughtError') {
      events.uncaughtError(errorFromRemote(isSerializedError(message.error) ? message.error : { name: 'Error', message: 'unknown error' }));
    } else if (typeof message === 'object' && message !== null && message.type === READY) {
      if (announced) return;
      const problem = readyProblem(message);
      announced = problem
        ? { error: new Error(`its ready message was malformed: ${problem}`) }
        : message.tasks === undefined
          ? { error: errorFromRemote(message.error as SerializedError) }
          : { tasks: message.tasks as readonly string[], releases: message.releases === true };
      startedIfReady();
    } else {
      events.message(data);
    }
  };
  if (isNodeWorker(worker)) {
    worker.on('error', (error) => events.died(deathReason(error), error));
    worker.on('exit', (code) => events.died(`exited with code ${code}`));
    worker.on('message', onMessage);
  } else {
    worker.addEventListener('error', (event) => {
      const cause = (event as { error?: unknown }).error ?? event;
      events.died(deathReason(cause), cause);
    });
    worker.addEventListener('message', (event) => onMessage(event.data));
  }
  const spawnedAt = performance.now();
  const handshake = new Handshake(worker);
  let setupTimer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const failed = (error: unknown): void => {
    clearTimeout(setupTimer);
    if (!abandoned && !done) {
      done = true;
      events.startFailed(error);
    }
  };
  /** Both the init message (threads.js's) and the ready message (ours) are in: the thread starts, or fails to. */
  const startedIfReady = (): void => {
    if (!spawned || !announced || abandoned || done) return;
    if ('error' in announced) {
      failed(announced.error);
      return;
    }
    clearTimeout(setupTimer);
    done = true;
    events.started(spawned, announced.tasks, announced.releases);
  };
  (master ??= loadThreads()).spawn(handshake.facade, { timeout: startTimeout }).then(
    (thread) => {
      handshake.pending = false;
      if (abandoned) return;
      if (typeof thread.tasks !== 'function') {
        failed(new Error('the module does not call exposeTasks() from rxjs-threadpool/worker'));
        return;
      }
      spawned = thread as SpawnedThread;
      if (!announced) {
        // The ready message follows once the module's setup has finished: it gets what is left of the start timeout.
        const left = Math.max(0, startTimeout - (performance.now() - spawnedAt));
        setupTimer = setTimeout(() => failed(new Error(`its setup did not finish within startTimeout (${startTimeout} ms)`)), left);
      }
      startedIfReady();
    },
    (error: unknown) => {
      handshake.pending = false;
      failed(error);
    },
  );
  return {
    worker,
    abandon() {
      abandoned = true;
      clearTimeout(setupTimer);
      handshake.release();
    },
  };
}

/**
 * What threads.js's `spawn` sees of a worker: the worker itself, except
 * that the listeners spawn adds while it waits for the init message are
 * recorded, so {@link Handshake.release} can answer them after the worker
 * has died (Node drops a worker's message listeners before its `exit` event).
 */
class Handshake {
  /** spawn has not settled yet. */
  pending = true;
  private readonly waiting = new Set<Listener>();
  readonly facade: WorkerPort;

  constructor(worker: WorkerPort) {
    this.facade = {
      postMessage: (message, transfer) => worker.postMessage(message, transfer),
      terminate: () => worker.terminate(),
      addEventListener: (type, listener) => {
        if (this.pending && type === 'message') this.waiting.add(listener);
        worker.addEventListener(type, listener);
      },
      removeEventListener: (type, listener) => {
        this.waiting.delete(listener);
        worker.removeEventListener(type, listener);
      },
    };
  }

  /** Answers spawn's wait in the worker's place (what spawn then returns is ignored), so its timer is cleared. */
  release(): void {
    if (!this.pending) return;
    const init = { data: { type: 'init', exposed: { type: 'module', methods: [] } } };
    for (const listener of [...this.waiting]) listener(init);
  }
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

/** How a start error names a worker made by a factory whose error names no file of the user's. */
const FACTORY = '(from the worker factory)';

/** The `WorkerStartError` of a worker from `source` that could not start, for the reason `cause`. */
export function startError(source: ResolvedSource, cause: unknown): WorkerStartError {
  return new WorkerStartError(source.file ?? fileFromMessage(cause) ?? FACTORY, cause);
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
