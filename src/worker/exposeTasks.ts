/**
 * `exposeTasks`: the worker side of a pool.
 *
 * @module
 */
// @ts-ignore -- the `threads` package's exports map has no `types` condition, so some module resolutions find no types; typed below.
import * as threadsWorker from 'threads/worker';
import { checkKnownKeys, checkTasks } from '../checks.js';
import { InvalidOptionError } from '../errors.js';
import { DONE, type DoneMessage, PROGRESS, type ProgressMessage, RUN, type RunMessage, type WorkerApi } from '../threads/messages.js';
import type { TaskMap } from '../tasks.js';
import { type Transferable, unwrapTransfer } from '../transfer.js';
import { transferProblem } from '../transferChecks.js';
import { batchProblem, taskFailure, uncloneableFailure, unknownTaskFailure, type WireFailure } from '../wire.js';
import { type MasterPort, masterPort } from './port.js';

/** The part of `threads/worker` we use, typed here (its own types are not found under every module resolution). */
const { expose } = threadsWorker as unknown as { expose(exposed: object): void };

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
  const { setup, teardown } = checkWorkerOptions(options);
  // A port exists only inside a worker (a Node worker thread or a Web Worker).
  const port = masterPort();
  if (!port) return tasks;
  if (exposed) {
    // One task set per worker: a second call (its error caught, say) fails the worker's start.
    exposed.twice ??= new Error('exposeTasks() was called more than once in this worker; a worker module calls it once, at its top level');
    throw exposed.twice;
  }
  const state: ExposedState = { twice: undefined, loadError: watchLoad() };
  exposed = state;
  const ready = setup ? Promise.resolve().then(setup) : undefined;
  ready?.catch(() => undefined);
  // Listen before `expose` tells the master we are ready.
  port.listen((data) => {
    if ((data as Partial<RunMessage> | null)?.type === RUN) runBatch(tasks, port, data as RunMessage);
  });
  /** The task names, unless the module failed after this call (it threw while loading, or called exposeTasks again). */
  const names = (): string[] => {
    const failure = state.twice ?? state.loadError.stop();
    if (failure !== undefined) throw failure;
    return Object.keys(tasks);
  };
  const api: WorkerApi = {
    // The master sends no request before this answers, so tasks never run before `setup` is done, and a
    // module that threw while loading (after this call) fails its start rather than serving requests.
    tasks: () => (ready ? ready.then(names) : names()),
    ...(teardown ? { teardown: async () => void (await teardown()) } : {}),
  };
  expose(api);
  return tasks;
}

interface ExposedState {
  /** Set when exposeTasks was called again in this worker. */
  twice: Error | undefined;
  readonly loadError: LoadWatch;
}

/** This worker's call of exposeTasks, once made. */
let exposed: ExposedState | undefined;

/** What went wrong while the worker module was loading, after exposeTasks was called. */
interface LoadWatch {
  /** Stops watching; returns the first uncaught error or rejection seen (or `undefined`). */
  stop(): unknown;
}

/**
 * Records uncaught errors and rejections from the moment exposeTasks is
 * called until the master asks for the task names (after the module has
 * loaded). threads.js keeps a worker alive after an uncaught error and tells
 * the master only 250 ms later, so a module that throws at load after
 * calling exposeTasks would look ready, then fail, again and again with
 * each replacement.
 */
function watchLoad(): LoadWatch {
  let first: { readonly error: unknown } | undefined;
  const record = (error: unknown): void => {
    first ??= { error };
  };
  const node = typeof process === 'object' && typeof process.on === 'function' ? process : undefined;
  const onEvent = (event: { readonly error?: unknown; readonly reason?: unknown }): void => record(event.error ?? event.reason ?? event);
  // A Web Worker's global scope (typed here: the library's types do not assume the DOM library).
  const scope = globalThis as unknown as Partial<Record<'addEventListener' | 'removeEventListener', (type: string, listener: typeof onEvent) => void>>;
  if (node) {
    node.on('uncaughtException', record);
    node.on('unhandledRejection', record);
  } else {
    scope.addEventListener?.('error', onEvent);
    scope.addEventListener?.('unhandledrejection', onEvent);
  }
  let stopped = false;
  return {
    stop() {
      if (!stopped) {
        stopped = true;
        if (node) {
          node.off('uncaughtException', record);
          node.off('unhandledRejection', record);
        } else {
          scope.removeEventListener?.('error', onEvent);
          scope.removeEventListener?.('unhandledrejection', onEvent);
        }
      }
      return first?.error;
    },
  };
}

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
}

function checkWorkerOptions(options: WorkerOptions | undefined): WorkerOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('exposeTasks options', options, 'an object with setup and/or teardown');
  checkKnownKeys('the exposeTasks options', options, ['setup', 'teardown'], {
    init: 'setup',
    initialize: 'setup',
    beforeAll: 'setup',
    dispose: 'teardown',
    destroy: 'teardown',
    afterAll: 'teardown',
  });
  for (const name of ['setup', 'teardown'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidOptionError(name, options[name], 'a function');
  }
  return options;
}

function runBatch(tasks: TaskMap, port: MasterPort, message: RunMessage): void {
  const started = performance.now();
  // The master is trusted, but checked: a malformed run message is refused, never run.
  const problem = typeof message.batch === 'number' ? batchProblem(message) : 'batch is not a number';
  if (problem !== undefined) {
    if (typeof message.batch === 'number') port.post({ type: DONE, batch: message.batch, values: [], refused: problem } satisfies DoneMessage);
    return;
  }
  const run = new BatchRun(tasks, message, message.progress ? port : undefined);
  const settled = run.next(0);
  if (settled === true) reply(port, run, performance.now() - started);
  else void settled.then(() => reply(port, run, performance.now() - started));
}

/**
 * Posts a batch's outcomes; a result that cannot be cloned, or whose
 * transfer list cannot be moved, becomes that request's error alone (the
 * master checks every reply: a reply of the wrong shape would fail the
 * whole batch).
 */
function reply(port: MasterPort, run: BatchRun, ms: number): void {
  const { batch } = run.message;
  const heap = run.message.memory ? { heapUsed: heapUsed() } : undefined;
  const post = (): void => port.post({ type: DONE, batch, values: run.values, failures: run.failures, ms, ...heap } satisfies DoneMessage, run.transferList());
  let failure: unknown;
  try {
    post();
    return;
  } catch (error) {
    failure = error;
  }
  // Find the results that cannot travel: those without a transfer list can be tried by cloning them.
  for (let at = 0; at < run.values.length; at++) {
    if (run.moves(at)) continue;
    try {
      structuredClone(run.values[at]);
    } catch (error) {
      run.refuse(at, error);
    }
  }
  try {
    post();
    return;
  } catch (error) {
    failure = error;
  }
  // Still refused: try each result that moves buffers on its own, by a structured clone that moves them
  // into the copy (which then travels in its place), so only the one that cannot travel fails.
  for (let at = 0; at < run.values.length; at++) if (run.moves(at)) run.tryAlone(at);
  try {
    post();
  } catch {
    const failures = run.values.map((_, at) => uncloneableFailure(at, failure));
    port.post({ type: DONE, batch, values: new Array<unknown>(run.values.length), failures, ms } satisfies DoneMessage);
  }
}

/**
 * One batch running in the worker: its requests one after another,
 * synchronously until a task returns a promise. The buffers each result
 * marked with `transfer()` are kept by position, checked before anything
 * is posted.
 */
export class BatchRun {
  readonly values: unknown[];
  failures: WireFailure[] | undefined;
  /** Each result's transfer list, by position (only for results that have one). */
  private readonly moved = new Map<number, readonly Transferable[]>();

  constructor(
    private readonly tasks: TaskMap,
    readonly message: RunMessage,
    /** Where progress goes; none when nobody listens for it. */
    private readonly progressPort?: MasterPort,
  ) {
    this.values = new Array<unknown>(message.args.length);
  }

  /** Records a task's result at `at`: a result marked with `transfer()` whose list cannot be moved is that request's error. */
  settle(at: number, result: unknown): void {
    const list: Transferable[] = [];
    const value = unwrapTransfer(result, list);
    if (list.length > 0) {
      const problem = transferProblem(list);
      if (problem !== undefined) {
        this.refuse(at, new TypeError(`its result's ${problem}`));
        return;
      }
      this.moved.set(at, list);
    }
    this.values[at] = value;
  }

  /** Whether the result at `at` moves buffers. */
  moves(at: number): boolean {
    return this.moved.has(at);
  }

  /**
   * Checks the result at `at` with its transfer list alone: a structured
   * clone that moves its buffers into the copy, which replaces it (the
   * buffers are then the copy's); a result that cannot be cloned so is refused.
   */
  tryAlone(at: number): void {
    const list = this.moved.get(at) ?? [];
    try {
      const copy = structuredClone({ value: this.values[at], list }, { transfer: list as Transferable[] as never });
      this.values[at] = copy.value;
      this.moved.set(at, copy.list);
    } catch (error) {
      this.refuse(at, error);
    }
  }

  /** The result at `at` cannot be sent back: it becomes that request's `DataCloneError`. */
  refuse(at: number, error: unknown): void {
    this.values[at] = undefined;
    this.moved.delete(at);
    this.fail(at, uncloneableFailure(at, error));
  }

  /** Every buffer the results move, each once (two results may share one). */
  transferList(): Transferable[] {
    const items = new Set<Transferable>();
    for (const list of this.moved.values()) for (const item of list) items.add(item);
    return [...items];
  }

  /** Records a failure (keeping `failures` in position order). */
  fail(at: number, failure: WireFailure): void {
    const failures = (this.failures ??= []);
    let i = failures.length;
    while (i > 0 && failures[i - 1].at > at) i--;
    failures.splice(i, 0, failure);
  }

  /** Runs from position `from` on; `true` when done, else a promise of the rest. */
  next(from: number): true | Promise<void> {
    const { tasks: names, args, spread } = this.message;
    for (let at = from; at < args.length; at++) {
      const name = typeof names === 'string' ? names : names[at];
      const task = Object.hasOwn(this.tasks, name) ? this.tasks[name] : undefined;
      if (!task) {
        this.fail(at, unknownTaskFailure(at, name, Object.keys(this.tasks)));
        continue;
      }
      let value: unknown;
      try {
        value = spread ? task(...(args[at] as unknown[])) : task(args[at]);
      } catch (error) {
        this.fail(at, taskFailure(at, error));
        continue;
      }
      if (isThenable(value)) return this.await(at, value);
      if (isGenerator(value)) return this.drain(at, value);
      this.settle(at, value);
    }
    return true;
  }

  private async drain(at: number, generator: AnyGenerator): Promise<void> {
    try {
      for (;;) {
        const step = await generator.next();
        if (step.done) {
          this.settle(at, step.value);
          break;
        }
        this.progressPort?.post({ type: PROGRESS, batch: this.message.batch, at, value: step.value } satisfies ProgressMessage);
      }
    } catch (error) {
      void Promise.resolve(generator.return(undefined)).catch(() => undefined);
      this.fail(at, taskFailure(at, error));
    }
    const rest = this.next(at + 1);
    if (rest !== true) await rest;
  }

  private async await(at: number, pending: PromiseLike<unknown>): Promise<void> {
    try {
      this.settle(at, await pending);
    } catch (error) {
      this.fail(at, taskFailure(at, error));
    }
    const rest = this.next(at + 1);
    if (rest !== true) await rest;
  }
}

/** A generator task: what it yields is progress, what it returns the result. */
type AnyGenerator = Generator<unknown, unknown, undefined> | AsyncGenerator<unknown, unknown, undefined>;

function isGenerator(value: unknown): value is AnyGenerator {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<AnyGenerator>;
  return typeof candidate.next === 'function' && typeof candidate.throw === 'function' && (Symbol.asyncIterator in value || Symbol.iterator in value);
}

function heapUsed(): number | undefined {
  return typeof process === 'object' && typeof process.memoryUsage === 'function' ? process.memoryUsage().heapUsed : undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
