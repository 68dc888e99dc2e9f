/**
 * `exposeTasks`: the worker side of a pool, the same in a thread, a Web
 * Worker or a child process (`port.ts` finds the channel). It checks the
 * module's tasks, runs its `setup`, watches it finish loading
 * (`loadWatch`), and tells the master it is ready (a ready message,
 * unasked); each run message is then run by `batchRun`, a teardown message
 * runs the module's `teardown`, and what the module throws outside any task
 * is reported (`relayUncaught`).
 *
 * @module
 */
import { checkKnownKeys, checkTasks } from '../checks.js';
import { InvalidOptionError } from '../errors.js';
import type { Key } from '../keys.js';
import {
  ABORT,
  type AbortMessage,
  READY,
  type ReadyMessage,
  RELEASE,
  RELEASED,
  type ReleasedMessage,
  type ReleaseMessage,
  releaseProblem,
  RUN,
  type RunMessage,
  STREAM_CLOSE,
  type StreamCloseMessage,
  TEARDOWN,
  TORN_DOWN,
  type TornDownMessage,
  UNCAUGHT,
  type UncaughtMessage,
} from '../messages.js';
import { serializeError } from '../serializedError.js';
import type { TaskMap } from '../tasks.js';
import { abortBatches, runBatch } from './batchRun.js';
import { KeyMemory } from './keyMemory.js';
import { StreamWorker } from './streamRun.js';
import { streamBodyOf, type SubjectClass } from './streamTask.js';
import { type LoadWatch, watchLoad } from './loadWatch.js';
import { type MasterPort, masterPort } from './port.js';

/**
 * Declares a worker module's tasks. Call it once, at the top level of the
 * worker file, and export its result's type so the pool is typed from it:
 *
 * ```ts
 * // primes.worker.ts
 * import { exposeTasks } from 'rxjs-threadpool/worker';
 *
 * export const tasks = exposeTasks({
 *   countPrimes(limit: number) { ... },
 *   async digest(text: string) { ... },
 * });
 * export type Tasks = typeof tasks;
 * ```
 *
 * Tasks may be sync or async; a worker runs one batch at a time (several
 * with the pool's `tasksPerWorker`, for async tasks), and a
 * batch of requests one after another. What a task throws (or rejects with)
 * becomes that request's `TaskError`, with the error's name, message, stack,
 * `code` and other cloneable fields. A result that cannot be cloned back
 * becomes that request's `DataCloneError`; its batch-mates are unaffected.
 *
 * Outside a worker thread (imported by the main thread, say for a virtual
 * pool in tests) it only checks and returns the tasks.
 *
 * @typeParam T - The tasks' type; export `typeof tasks` for `createPool<Tasks>`.
 * @param tasks - The tasks, by name. Each must be a function.
 * @param options - `setup` and `teardown` for each worker: see {@link WorkerOptions}.
 * @returns `tasks`, unchanged.
 * @throws InvalidOptionError when `tasks` is not an object of functions.
 */
export function exposeTasks<T extends TaskMap>(tasks: T, options?: WorkerOptions): T {
  checkTasks(tasks);
  const checked = checkWorkerOptions(options);
  const { setup, teardown, keyReleased } = checked;
  // A virtual pool (`rxjs-threadpool/marbles`) runs these tasks on the main thread: it finds the options here.
  declared.set(tasks, checked);
  // A port exists only inside a worker (a Node worker thread or a Web Worker).
  const port = masterPort();
  if (!port) return tasks;
  if (exposed) {
    // One task set per worker: a second call (its error caught, say) fails the worker's start.
    exposed.secondCall ??= new Error('exposeTasks() was called more than once in this worker; a worker module calls it once, at its top level');
    throw exposed.secondCall;
  }
  const state: ExposedState = { secondCall: undefined, loadError: watchLoad() };
  exposed = state;
  // A module with stream tasks loads RxJS for them before it says it is ready (one without never does).
  const hasStreams = Object.values(tasks).some((task) => streamBodyOf(task) !== undefined);
  let streams: StreamWorker | undefined;
  const loadStreams = hasStreams ? import('rxjs').then(({ Subject }) => void (streams = new StreamWorker(tasks, port, Subject as SubjectClass))) : undefined;
  const ready = setup || loadStreams ? Promise.all([setup ? Promise.resolve().then(setup) : undefined, loadStreams]) : undefined;
  ready?.catch(() => undefined);
  const keys = keyReleased ? new KeyMemory() : undefined;
  port.listen((data) => {
    const message = data as { type?: unknown; stream?: unknown } | null;
    const type = message?.type;
    if (type === RUN) {
      // A stream pipeline's batch feeds instances; the master sends one only to a module with stream tasks.
      if (message?.stream !== undefined && streams) streams.run(data as RunMessage);
      else runBatch(tasks, port, data as RunMessage, keys);
    } else if (type === STREAM_CLOSE) streams?.close(data as StreamCloseMessage);
    else if (type === RELEASE && (keyReleased || streams)) void releaseKeys(data as ReleaseMessage, keys, keyReleased, streams, port);
    else if (type === ABORT) abortBatches(data as AbortMessage);
    else if (type === TEARDOWN) void tearDown(teardown, port);
  });
  /** The task names, unless the module failed after this call (it threw while loading, or called exposeTasks again). */
  const names = (): string[] => {
    const failure = state.secondCall ?? state.loadError.stop();
    if (failure !== undefined) throw failure;
    return Object.keys(tasks);
  };
  const announced = (): Promise<string[]> => (ready ? ready.then(names) : Promise.resolve().then(names));
  // The master sends no request before the ready message, so tasks never run before `setup` is done. It is
  // posted from the next turn of the event loop, once the module has finished loading: a module that threw
  // while loading (after this call) fails its start rather than serving requests.
  nextTurn(() => {
    announced().then(
      (list) => {
        port.post({
          type: READY,
          tasks: list,
          ...(keyReleased || hasStreams ? { releases: true as const } : {}),
          ...(teardown ? { teardown: true as const } : {}),
        } satisfies ReadyMessage);
        relayUncaught(port);
      },
      (error: unknown) => port.post({ type: READY, error: serializeError(error) } satisfies ReadyMessage),
    );
  });
  return tasks;
}

/**
 * The master moved the key groups of `message` away from this worker: each
 * key of them it has seen is released (`keyReleased`, awaited), then the
 * master is told. A malformed message is ignored (the master, which never
 * hears back, keeps those keys' requests waiting: it is its own bug). What
 * `keyReleased` throws is thrown again outside, as an uncaught error: the
 * pool replaces a worker whose state it can no longer trust.
 */
async function releaseKeys(
  message: ReleaseMessage,
  keys: KeyMemory | undefined,
  keyReleased: ((key: Key) => unknown) | undefined,
  streams: StreamWorker | undefined,
  port: MasterPort,
): Promise<void> {
  if (releaseProblem(message) !== undefined) return;
  // Stream instances of the lost keys complete here (they flush and end) before the keys run elsewhere.
  streams?.sessions.release(message.groups);
  const failures: unknown[] = [];
  for (const key of keys?.release(message.groups) ?? []) {
    try {
      await keyReleased?.(key);
    } catch (error) {
      failures.push(error);
    }
  }
  port.post({ type: RELEASED, id: message.id } satisfies ReleasedMessage);
  for (const error of failures)
    setTimeout(() => {
      throw error;
    });
}

/** Runs the module's `teardown` (the master is stopping this worker), then tells the master, with the error if it failed. */
async function tearDown(teardown: (() => unknown) | undefined, port: MasterPort): Promise<void> {
  let answer: TornDownMessage = { type: TORN_DOWN };
  try {
    await teardown?.();
  } catch (error) {
    answer = { type: TORN_DOWN, error: serializeError(error) };
  }
  port.post(answer);
}

/**
 * From the ready message on, what the module's code throws (or leaves
 * rejected) outside any task is posted to the master, which replaces the
 * worker: its state is suspect, and a request waiting on the failed code
 * might never settle. The worker is kept alive meanwhile (a listener of
 * the module's own, registered earlier, runs first and may end it). In a
 * Web Worker an uncaught error already reaches the page as the worker's
 * `error` event; only rejections need telling.
 */
function relayUncaught(port: MasterPort): void {
  const report = (error: unknown): void => port.post({ type: UNCAUGHT, error: serializeError(error) } satisfies UncaughtMessage);
  if (typeof process === 'object' && typeof process.on === 'function') {
    process.on('uncaughtException', report);
    process.on('unhandledRejection', report);
    return;
  }
  const scope = globalThis as unknown as Partial<Record<'addEventListener', (type: string, listener: (event: { reason?: unknown }) => void) => void>>;
  scope.addEventListener?.('unhandledrejection', (event) => report(event.reason));
}

/** The options each task map was exposed with, for a virtual pool that runs the tasks itself. */
const declared = new WeakMap<object, WorkerOptions>();

/** @internal The options `tasks` was exposed with (`{}` when it was not exposed). */
export function declaredOptions(tasks: object): WorkerOptions {
  return declared.get(tasks) ?? {};
}

interface ExposedState {
  /** Set when exposeTasks was called again in this worker. */
  secondCall: Error | undefined;
  readonly loadError: LoadWatch;
}

/** Runs `callback` on the next turn of the event loop: `setImmediate` in Node, a zero timeout in a browser. */
function nextTurn(callback: () => void): void {
  if (typeof setImmediate === 'function') setImmediate(callback);
  else setTimeout(callback, 0);
}

/** This worker's call of exposeTasks, once made. */
let exposed: ExposedState | undefined;

/** Options of {@link exposeTasks}. */
export interface WorkerOptions {
  /**
   * Runs once in each worker before its first request (load a model, open a
   * database, warm a cache); may be async. Keep what it makes in a variable
   * of the module, where the tasks see it. If it throws, the worker does not
   * start: the pool fails with `WorkerStartError` naming the module and the
   * error (no retry). It counts toward the pool's `startTimeout`.
   */
  readonly setup?: () => unknown;
  /**
   * Runs when the worker is dismissed, recycled, retired after
   * `idleTimeout`, or the pool closes while it is idle (not when it crashed,
   * timed out or was cancelled); may be async. The pool waits for it at
   * most `terminateTimeout`.
   */
  readonly teardown?: () => unknown;
  /**
   * Keyed pipelines: this worker no longer owns `key` (the pool grew and the
   * key moved to another worker). Called once for each key this worker ran
   * requests of, before any request of that key runs elsewhere; may be
   * async (the key's requests wait for it). Drop the state kept for the
   * key here: it does not travel with the key, and if the key comes back
   * later, its requests must not find it stale. Not called when the worker
   * itself ends (crash, dismissal, recycling, idle retirement, close): its
   * state goes with it. What it throws is reported as an uncaught error of
   * the worker, which the pool then replaces.
   */
  readonly keyReleased?: (key: Key) => unknown;
}

function checkWorkerOptions(options: WorkerOptions | undefined): WorkerOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('exposeTasks options', options, 'an object with setup, teardown and/or keyReleased');
  checkKnownKeys('the exposeTasks options', options, ['setup', 'teardown', 'keyReleased'], {
    init: 'setup',
    initialize: 'setup',
    beforeAll: 'setup',
    dispose: 'teardown',
    destroy: 'teardown',
    afterAll: 'teardown',
    onKeyReleased: 'keyReleased',
    releaseKey: 'keyReleased',
    keyRevoked: 'keyReleased',
  });
  for (const name of ['setup', 'teardown', 'keyReleased'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidOptionError(name, options[name], 'a function');
  }
  return options;
}
