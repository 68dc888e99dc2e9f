/**
 * A pool of workers (threads, or child processes) running one worker
 * module, with its options checked: what the public `createPool` runs (see `createPool`,
 * which adds `createPool.fromFunctions`), and what inline tasks build on.
 *
 * @module
 */
import { checkInteger, checkKnownKeys, checkOptionsObject, checkPositive, checkTimeout, type OptionAliases } from './checks.js';
import { isObservable, type Observable } from 'rxjs';
import { InvalidOptionError } from './errors.js';
import { Pool } from './Pool.js';
import { checkSize, type PoolSize } from './poolSize.js';
import type { TaskMap } from './tasks.js';
import { MAX_WORKERS, WorkerExecutor } from './workerExecutor/WorkerExecutor.js';
import { defaultPoolSize, resolveProcessRuntime } from './threads/platform.js';
import type { WorkerRuntime } from './workerExecutor/runtime.js';
import { resolveSource, type WorkerSource } from './threads/workerSource.js';
import type { ResourceLimits, ThreadOptions } from './threads/threadOptions.js';
import type { ResolvedSource } from './threads/workerPort.js';
import { threadRuntime } from './threads/threadRuntime.js';

/** How long an idle worker of a pool sized `{ min, max }` (or by an Observable) waits before it exits, by default (ms). */
const DEFAULT_RANGE_IDLE_TIMEOUT = 10_000;
/** The most batches one worker runs at once (`tasksPerWorker`). */
const MAX_TASKS_PER_WORKER = 1024;
/** The largest memory figure an option takes, in MB (1 TiB). */
const MAX_MEMORY_MB = 2 ** 20;
/** Node's default worker stack is 4 MB; a thread stack past this fails to allocate and aborts the process. */
const MAX_STACK_MB = 1024;

const poolOptionNames = [
  'size',
  'runtime',
  'startTimeout',
  'idleTimeout',
  'taskTimeout',
  'cancelGrace',
  'resourceLimits',
  'terminateTimeout',
  'maxTasksPerWorker',
  'maxHeapPerWorkerMb',
  'tasksPerWorker',
  'maxQueue',
  'env',
  'argv',
  'execArgv',
  'workerData',
  'name',
  'stdout',
  'stderr',
] as const;

const viaFactory =
  'A pool built from a path sets resourceLimits, env, argv, execArgv, workerData, name, stdout and stderr; for any other Worker option, pass a factory that sets it, createPool(() => new Worker(file, { ... })) with Worker from threads.';

/** What the peers (piscina, workerpool, tinypool, threads.js's Pool) call an option, and what it is here. */
const poolOptionAliases: OptionAliases = {
  minThreads: 'size',
  maxThreads: 'size',
  minWorkers: 'size',
  maxWorkers: 'size',
  numWorkers: 'size',
  threads: 'size',
  poolSize: 'size',
  workers: 'size',
  concurrency: 'size',
  concurrentTasksPerWorker: 'tasksPerWorker',
  maxConcurrentTasksPerWorker: 'tasksPerWorker',
  maxQueueSize: 'maxQueue',
  maxQueuedJobs: 'maxQueue',
  isolateWorkers: 'For a fresh worker per request, set maxTasksPerWorker: 1.',
  maxMemoryLimitBeforeRecycle: 'maxHeapPerWorkerMb',
  timeout: 'taskTimeout',
  closeTimeout: 'terminateTimeout',
  terminationTimeout: 'terminateTimeout',
  idleTimeoutMs: 'idleTimeout',
  stdin: viaFactory,
  trackUnmanagedFds: viaFactory,
  shareEnv: viaFactory,
  filename: "The worker module is createPool's first argument: createPool(file, options).",
  workerType: 'runtime',
};

const resourceLimitNames = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

/** Node's `resourceLimits`, each a finite positive number within what a thread can be given (a larger one aborts the whole process). */
function checkResourceLimits(resourceLimits: ResourceLimits): void {
  const limits = checkOptionsObject('resourceLimits', resourceLimits);
  checkKnownKeys('the resourceLimits', limits, resourceLimitNames);
  for (const name of resourceLimitNames) {
    if (limits[name] !== undefined) checkPositive(`resourceLimits.${name}`, limits[name], 'MB', name === 'stackSizeMb' ? MAX_STACK_MB : MAX_MEMORY_MB);
  }
}

/**
 * Options of {@link createPool}.
 *
 * @category Pools
 */
export interface PoolOptions {
  /**
   * How many worker threads the pool runs, at most 1024. Default: the
   * number of CPUs (Node's `availableParallelism()`; in a browser,
   * `navigator.hardwareConcurrency`).
   *
   * - A number `n`: `n` workers, started at once (with `idleTimeout`, an
   *   idle one exits and the pool starts workers again, up to `n`, as work
   *   comes).
   * - `{ min, max }`: `min` workers at once; while requests wait and every
   *   worker is busy, one more starts, up to `max`; a worker idle past
   *   `idleTimeout` (default 10000 ms here) exits while more than `min` run.
   * - An Observable of either: the pool follows each value as
   *   `pool.resize(value)` does (from a backlog metric, a time of day…). It
   *   starts no worker before the first value (`ready` waits for that
   *   value's workers); a value that is not a size is reported as RxJS
   *   reports an unhandled error and skipped; the pool stops following at
   *   `close()`, or when the Observable ends.
   *
   * `createWorkers(n)` and `dismissWorkers(n)` move both bounds by `n`.
   */
  readonly size?: PoolSize | Observable<PoolSize>;
  /**
   * What a worker is: `'thread'` (the default: a worker thread) or
   * `'process'` (a child process of Node running the same module, for
   * native modules that are not thread-safe, or work that needs its own
   * heap or may bring its process down). Crash blame, timeouts, recycling,
   * idle retirement, close, `setup`/`teardown`, keys and streams work the
   * same on both. In a process, a transfer list is copied (nothing moves),
   * `stats.workerLoads` has no reading, `workerData` and `name` are not
   * taken, and of `resourceLimits` only `maxOldGenerationSizeMb` applies
   * (as `--max-old-space-size`). A path or `file:` URL worker only (Node).
   */
  readonly runtime?: 'thread' | 'process';
  /** How long a worker may take to load and call `exposeTasks()`, in ms. Default 10000. */
  readonly startTimeout?: number;
  /**
   * How long (ms) an idle worker waits before its thread exits, while the
   * pool runs more than its least size (with a number `size`, that is 0: the
   * pool starts workers again, up to `size`, when work comes). Default: with
   * `{ min, max }` or an Observable `size`, 10000; with a number, idle
   * workers stay. Idle workers never keep the process alive.
   */
  readonly idleTimeout?: number;
  /**
   * The default `timeout` (ms) of every pipeline on this pool: a request
   * running longer ends with `TaskTimeoutError` and its worker is terminated
   * and replaced (unless its task reads its signal and stops within
   * `cancelGrace`). Counted from the moment the request starts running. A
   * pipeline's own `timeout` option wins. Default: no limit.
   */
  readonly taskTimeout?: number;
  /**
   * Every pipeline's default `cancelGrace`: after a timeout or a cancel, how
   * long (ms) a task that reads its signal (`this.signal`) may take to
   * settle before its worker is terminated. A task that settles in time
   * keeps its worker (its setup, its warm state, its neighbours under
   * `tasksPerWorker`); one that never read its signal is terminated at
   * once. The request's outcome never waits for it. Default 1000.
   */
  readonly cancelGrace?: number;
  /**
   * Memory limits of each worker thread (Node's `resourceLimits`): a task
   * that allocates past them ends with `WorkerCrashedError` ("ran out of
   * memory"), for that request only, and the worker is replaced; limits too
   * low to start a worker reject the pool with `WorkerStartError`. For a
   * path or URL worker; a factory passes them to its own `new Worker`.
   */
  readonly resourceLimits?: ResourceLimits;
  /**
   * How long (ms) the pool waits for a worker it terminates (on timeout,
   * cancel, dismiss, crash or close) before it stops waiting and moves on:
   * `terminate()` itself can hang. Default 5000.
   */
  readonly terminateTimeout?: number;
  /**
   * Replace a worker with a fresh one once it has run this many requests
   * (Python's `max_tasks_per_child`): for tasks that leak. Checked between
   * batches, never in the middle of one (a batch may take it a little past
   * the limit); no request notices. Default: never.
   */
  readonly maxTasksPerWorker?: number;
  /**
   * Replace a worker, between batches, once its V8 heap in use exceeds this
   * many megabytes (as tinypool's `maxMemoryLimitBeforeRecycle`). Default: never.
   */
  readonly maxHeapPerWorkerMb?: number;
  /**
   * Batches one worker runs at once, for async tasks that mostly wait (on
   * I/O, timers): the pool then runs up to `size × tasksPerWorker` at once,
   * sending each batch to the least-loaded worker. Default 1. A timeout or
   * `cancel: 'terminate'` that terminates a worker ends its other batches
   * as crashed, so they are rerun elsewhere (see `rerunOnCrash`).
   */
  readonly tasksPerWorker?: number;
  /** The worker threads' `process.env` (`{ ...process.env, KEY: 'value' }` adds to the main thread's; a variable set to `undefined` is left out). Default: a copy of the main thread's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Added to each worker's `process.argv`. */
  readonly argv?: readonly string[];
  /**
   * Node flags for each worker, after the main thread's own (which a worker
   * inherits: loaders such as tsx stay). A flag Node refuses for workers
   * fails the pool with `WorkerStartError`.
   */
  readonly execArgv?: readonly string[];
  /** Each worker's `workerData` (from `node:worker_threads`): any value structured clone can copy, copied to each. */
  readonly workerData?: unknown;
  /** A name for the worker threads, shown in debuggers and heap snapshots. */
  readonly name?: string;
  /**
   * The workers' stdout: `'inherit'` (the default: written to the main
   * thread's) or `'events'` (each line becomes a `workerOutput` event of
   * `pool.events$`, dropped while no one subscribes).
   */
  readonly stdout?: 'inherit' | 'events';
  /** The workers' stderr, as `stdout`. */
  readonly stderr?: 'inherit' | 'events';
  /**
   * The most requests waiting for a worker over every pipeline of the pool
   * (piscina's `maxQueue`). A request past it ends with `QueueFullError`
   * (its `queue` is `'pool'`), as one past a pipeline's own `queue.size`
   * does; a `pullFrom` source is not pulled past it, so it waits instead.
   * A rerun after a crash goes back to the queue even past it. Default: no bound.
   */
  readonly maxQueue?: number;
}

/**
 * The options a path (or `file:` URL, or inline) pool gives each worker
 * thread, checked: `resourceLimits`, `env`, `argv`, `execArgv`,
 * `workerData`, `name`, and whether `stdout` and `stderr` are captured.
 */
export function threadOptionsOf(given: Partial<PoolOptions>): ThreadOptions {
  const { resourceLimits, env, argv, execArgv, workerData, name, stdout, stderr } = given;
  if (resourceLimits !== undefined) checkResourceLimits(resourceLimits);
  if (env !== undefined) {
    const object = checkOptionsObject('env', env);
    for (const [variable, value] of Object.entries(object)) {
      if (typeof value !== 'string' && value !== undefined)
        throw new InvalidOptionError(`env.${variable}`, value, "a string (a worker's environment holds strings only)");
    }
  }
  for (const [option, list] of [
    ['argv', argv],
    ['execArgv', execArgv],
  ] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.some((item) => typeof item !== 'string'))) {
      throw new InvalidOptionError(option, list, 'an array of strings');
    }
  }
  if (workerData !== undefined) {
    try {
      structuredClone(workerData);
    } catch (error) {
      throw new InvalidOptionError('workerData', workerData, `a value structured clone can copy (${(error as Error).message})`);
    }
  }
  if (name !== undefined && typeof name !== 'string') throw new InvalidOptionError('name', name, 'a string');
  for (const [option, value] of [
    ['stdout', stdout],
    ['stderr', stderr],
  ] as const) {
    if (value !== undefined && value !== 'inherit' && value !== 'events') throw new InvalidOptionError(option, value, "'inherit' or 'events'");
  }
  return {
    ...(resourceLimits === undefined ? {} : { resourceLimits }),
    ...(env === undefined ? {} : { env }),
    ...(argv === undefined ? {} : { argv }),
    ...(execArgv === undefined ? {} : { execArgv }),
    ...(workerData === undefined ? {} : { workerData }),
    ...(name === undefined ? {} : { name }),
    ...(stdout === 'events' ? { stdout: true } : {}),
    ...(stderr === 'events' ? { stderr: true } : {}),
  };
}

/** The runtime of the pool's workers: threads (from `worker`, or `makeSource` for inline tasks) or child processes. */
function runtimeOf(
  worker: WorkerSource | undefined,
  runtime: unknown,
  thread: ThreadOptions,
  makeSource: ((thread: ThreadOptions) => ResolvedSource) | undefined,
): WorkerRuntime {
  if (runtime === undefined || runtime === 'thread') return threadRuntime(makeSource ? makeSource(thread) : resolveSource(worker as WorkerSource, thread));
  if (runtime !== 'process') throw new InvalidOptionError('runtime', runtime, "'thread' (worker threads, the default) or 'process' (child processes)");
  if (makeSource) throw new InvalidOptionError('runtime', runtime, "'thread' for inline tasks (a worker module of its own runs in child processes)");
  if (typeof worker === 'function')
    throw new InvalidOptionError('runtime', runtime, "'thread' with a factory, which makes its own worker (child processes run a path or file: URL worker)");
  return resolveProcessRuntime(worker, thread);
}

/**
 * Checks the options, then starts the pool's workers (see {@link createPool}
 * for what `worker` may be and how the pool starts).
 *
 * @throws InvalidOptionError for a bad option, synchronously (a bad `worker` too).
 */
export function createWorkerPool<T extends TaskMap>(
  worker: WorkerSource | undefined,
  options?: PoolOptions,
  /** Makes the workers instead of `worker` (inline tasks), given the worker options. */
  makeSource?: (thread: ThreadOptions) => ResolvedSource,
): Pool<T> {
  const given = checkOptionsObject('options', options);
  checkKnownKeys('the createPool options', given, poolOptionNames, poolOptionAliases);
  const {
    size = defaultPoolSize(),
    startTimeout = 10_000,
    taskTimeout,
    terminateTimeout = 5000,
    maxTasksPerWorker,
    maxHeapPerWorkerMb,
    tasksPerWorker = 1,
    maxQueue,
    cancelGrace,
  } = given;
  if (cancelGrace !== undefined) checkTimeout('cancelGrace', cancelGrace);
  if (maxQueue !== undefined) checkInteger('maxQueue', maxQueue, 1);
  checkInteger('tasksPerWorker', tasksPerWorker, 1, MAX_TASKS_PER_WORKER);
  checkTimeout('terminateTimeout', terminateTimeout);
  if (maxTasksPerWorker !== undefined) checkInteger('maxTasksPerWorker', maxTasksPerWorker, 1);
  if (maxHeapPerWorkerMb !== undefined) checkPositive('maxHeapPerWorkerMb', maxHeapPerWorkerMb, 'megabytes', MAX_MEMORY_MB);
  const size$ = isObservable(size) ? size : undefined;
  // A number stays as it was given (with idleTimeout, idle workers may all exit); a range shrinks after 10 s idle by default.
  const range = size$ ? { min: 0, max: 0 } : checkSize('size', size, MAX_WORKERS);
  const fixed = typeof size === 'number';
  const { idleTimeout = fixed ? undefined : DEFAULT_RANGE_IDLE_TIMEOUT } = given;
  checkTimeout('startTimeout', startTimeout);
  if (idleTimeout !== undefined) checkTimeout('idleTimeout', idleTimeout);
  if (taskTimeout !== undefined) checkTimeout('taskTimeout', taskTimeout);

  const thread = threadOptionsOf(given);
  const executor = new WorkerExecutor(runtimeOf(worker, given.runtime, thread, makeSource), {
    size: fixed ? range.max : range.min,
    startTimeout,
    terminateTimeout,
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
    ...(maxTasksPerWorker === undefined ? {} : { maxTasksPerWorker }),
    ...(maxHeapPerWorkerMb === undefined ? {} : { maxHeapPerWorker: maxHeapPerWorkerMb * 2 ** 20 }),
    tasksPerWorker,
    ...(thread.stdout || thread.stderr ? { capture: { stdout: thread.stdout === true, stderr: thread.stderr === true } } : {}),
  });
  return new Pool<T>(executor, {
    ...(taskTimeout === undefined && cancelGrace === undefined
      ? {}
      : { defaults: { ...(taskTimeout === undefined ? {} : { timeout: taskTimeout }), ...(cancelGrace === undefined ? {} : { cancelGrace }) } }),
    ...(maxQueue === undefined ? {} : { maxQueue }),
    // A number with idleTimeout: idle workers may all exit, and the pool starts them again, up to size, as work comes.
    range: fixed && idleTimeout !== undefined ? { min: 0, max: range.max } : range,
    most: MAX_WORKERS,
    ...(size$ ? { size$ } : {}),
  });
}
