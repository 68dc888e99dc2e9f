import { Observable, type OperatorFunction, Subscriber } from 'rxjs';
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTimeout, type OptionAliases } from '../src/checks.js';
import { CallbackError, describeValue, InvalidOptionError, QueueFullError } from '../src/errors.js';
import { MAX_BATCH_REQUESTS } from '../src/wire.js';
import { pullableOf } from './pullFrom.js';
import type { Outcome, Progress } from '../src/outcomes.js';
import { Pool } from '../src/Pool.js';
import { isWorkRequest, type WorkRequest, workRequest } from '../src/requests.js';
import type { BatchSize } from '../src/scheduler/batchSizing.js';
import type { Deliver, PipelineOptions } from '../src/scheduler/pipeline.js';
import type { TaskArgs, TaskInput, TaskMap, TaskName, TaskProgress, TaskResult } from '../src/tasks.js';
import type { Transferable } from '../src/transfer.js';

/**
 * Options of {@link poolMap}.
 *
 * @typeParam A - The task's argument list (what `transfer` receives).
 */
export interface PoolMapOptions<A extends readonly unknown[] = unknown[]> {
  /**
   * How many queued requests travel to a worker in one message (each still
   * yields its own outcome). `'auto'` (the default) sends one at a time until
   * it has measured the task, then batches only tasks that take under 1 ms,
   * sized to a few ms of work and a fair share of the queue per worker. A
   * number fixes the largest batch; `1` turns batching off.
   */
  readonly batch?: BatchSize;
  /**
   * Emit outcomes in request order (like Python's `imap` rather than
   * `imap_unordered`). `true` buffers at most 1000 outcomes (running and
   * waiting for an earlier one); `{ buffer: n }` sets that bound. While the
   * buffer is full no further request of this pipeline starts. Default `false`.
   */
  readonly ordered?:
    | boolean
    | {
        /** The most outcomes held back (running, or finished and waiting for an earlier one); at least 1. */
        readonly buffer: number;
      };
  /**
   * The transferables of a request's arguments (ArrayBuffers and the like),
   * moved to the worker instead of copied; the main thread loses access to
   * them. For results, the task returns `transfer(value, [buffers])` from
   * `rxjs-threadpool/worker`.
   */
  readonly transfer?: (...args: A) => readonly Transferable[];
  /**
   * Run a request once more, alone, when its worker died under it (default
   * `true`): an innocent request that shared a worker with a crashing one
   * still gets its result, while a request that takes down a worker twice
   * ends with `WorkerCrashedError`. So a request may run twice; set `false`
   * for tasks that must not.
   */
  readonly rerunOnCrash?: boolean;
  /**
   * Bound the requests waiting for a worker in this pipeline. When `size`
   * are waiting, `overflow` decides (default `'error'`): `'error'` ends the
   * arriving request with `QueueFullError` (reason `'full'`), `'drop-newest'`
   * likewise with reason `'dropped'`, `'drop-oldest'` ends the
   * longest-waiting request with `QueueFullError` (reason `'dropped'`) and
   * queues the arriving one. Either way every request still yields exactly
   * one outcome. A {@link pullFrom} source is never overflowed: it is pulled
   * only while there is room (`size` defaults to 1000 there). Default: unbounded.
   */
  readonly queue?: {
    /** The most requests of this pipeline waiting for a worker; at least 1. */
    readonly size: number;
    /** What happens to a request that arrives when `size` are waiting. Default `'error'`. */
    readonly overflow?: 'error' | 'drop-newest' | 'drop-oldest';
  };
  /**
   * The longest a request may run, in ms (frames on a virtual pool), counted
   * from the moment it starts on a worker, not while it waits in the queue.
   * A request running longer ends with `TaskTimeoutError` and the worker it
   * was stuck in is terminated and replaced, so an endless loop cannot keep a
   * worker for ever; a result arriving later is dropped. Requests with a
   * timeout are not batched. Default: the pool's `taskTimeout`, else none.
   * On a queue pool it counts from the moment the job is queued.
   */
  readonly timeout?: number;
  /**
   * What unsubscribing (or `signal`) does to this pipeline's running
   * requests. Queued ones never start either way. `'abandon'` (the default)
   * lets them finish and drops their outcomes; `'terminate'` terminates the
   * workers running them and starts fresh ones, for tasks too long to wait
   * for. Other pipelines' requests are not cancelled (with `tasksPerWorker`
   * > 1, one that shared a terminated worker is rerun). On a queue pool
   * (`rxjs-threadpool/bullmq`) `'terminate'` acts as `'abandon'`.
   */
  readonly cancel?: 'abandon' | 'terminate';
  /**
   * Cancels this pipeline when aborted: the stream completes at once, as if
   * the subscriber had unsubscribed (see `cancel`); no outcome follows. The
   * pipeline's one listener is removed when it ends, however it ends.
   */
  readonly signal?: AbortSignal;
  /**
   * Emit what generator tasks yield as `{ request, progress }` items, each
   * before its request's one outcome (with batching, still while the batch
   * runs). `results()` and `errors()` skip them; `progress()` selects them.
   * Progress is not held back by `ordered`. Default `false`: yields are
   * not even sent from the worker. A queue pool (`rxjs-threadpool/bullmq`)
   * emits no progress, only the outcomes.
   */
  readonly progress?: boolean;
  /**
   * Pipelines on one pool take turns, one batch each, so a flood from one
   * does not starve another. A pipeline with a higher priority goes first
   * whenever it has requests waiting. Default 0.
   */
  readonly priority?: number;
  /** The pipeline's name in `pool.stats.pipelines`. Default: the task's name. */
  readonly name?: string;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Partial<Promise<T>>)?.then === 'function';
}

const DEFAULT_ORDERED_BUFFER = 1000;
const DEFAULT_PULL_QUEUE = 1000;
const overflows = ['error', 'drop-newest', 'drop-oldest'] as const;
const cancels = ['abandon', 'terminate'] as const;
const optionNames = ['batch', 'ordered', 'transfer', 'rerunOnCrash', 'queue', 'timeout', 'cancel', 'signal', 'progress', 'priority', 'name'] as const;

/** What users of mergeMap and of the peers' pools type first, and what it is here. */
const optionAliases: OptionAliases = {
  batchSize: 'batch',
  batching: 'batch',
  order: 'ordered',
  preserveOrder: 'ordered',
  ordering: 'ordered',
  transferList: 'transfer',
  transferables: 'transfer',
  retry: 'rerunOnCrash',
  retries: 'rerunOnCrash',
  rerun: 'rerunOnCrash',
  queueSize: 'queue',
  maxQueue: 'queue',
  timeoutMs: 'timeout',
  taskTimeout: 'timeout',
  abortSignal: 'signal',
  onProgress: 'progress',
  concurrency:
    'A pipeline runs as many requests at once as the pool has workers (× tasksPerWorker): size the pool with createPool({ size }), or resize it with createWorkers/dismissWorkers.',
  concurrent:
    'A pipeline runs as many requests at once as the pool has workers (× tasksPerWorker): size the pool with createPool({ size }), or resize it with createWorkers/dismissWorkers.',
};

/**
 * What `poolMap(pool, task)` accepts: the task's single argument, or a `WorkRequest` of its arguments.
 *
 * @typeParam T - The pool's task map.
 * @typeParam K - The task's name.
 */
export type PoolMapInput<T extends TaskMap, K extends TaskName<T>> = TaskInput<T, K> | WorkRequest<Readonly<TaskArgs<T, K>>>;

/**
 * What `poolMap(pool, task)` emits: one outcome per request.
 *
 * @typeParam T - The pool's task map.
 * @typeParam K - The task's name.
 */
export type PoolMapOutcome<T extends TaskMap, K extends TaskName<T>> = Outcome<TaskArgs<T, K>, TaskResult<T, K>>;

/**
 * What `poolMap(pool, task, { progress: true })` emits besides outcomes.
 *
 * @typeParam T - The pool's task map.
 * @typeParam K - The task's name.
 */
export type PoolMapProgress<T extends TaskMap, K extends TaskName<T>> = Progress<TaskArgs<T, K>, TaskProgress<T, K>>;

/**
 * Runs `task` on the pool's workers for each source value and emits one
 * outcome per request: `{ ok: true, request, value }` or
 * `{ ok: false, request, error }`. A failing request never errors the stream.
 *
 * A plain source value is the task's single argument and gets a new request
 * id; a `WorkRequest` (from `makeRequests`) keeps its id and spreads its
 * arguments. At most as many requests run at once as the pool has live
 * workers, like `mergeMap`'s `concurrent`; the rest wait in the pool's queue
 * in arrival order, and a running pipeline follows `createWorkers` and
 * `dismissWorkers` without resubscribing. Outcomes are emitted as requests
 * finish, so their order can differ from the source's.
 *
 * The stream completes when the source has completed and every outcome is
 * out. A source error is passed on at once. Unsubscribing (or aborting the
 * `signal` option) drops the requests still queued (they never start) and
 * ignores the running ones' outcomes (or, with `cancel: 'terminate'`,
 * terminates their workers), freeing the pool for other pipelines.
 *
 * ```text
 * pool of 2 workers (createVirtualPool), each request takes 3 frames; the task throws for c
 *
 * source:  abcde|
 *          poolMap(pool, 'task')
 * output:  ---AB-CD-(E|)
 *
 * A = { ok: true, request: a, value }, C = { ok: false, request: c, error: TaskError }
 * c waits in the queue until a's worker is free (frame 3), d until b's (frame 4);
 * (E|) is E and completion on one frame, as in RxJS marble tests
 * ```
 *
 * @example
 * ```ts
 * import { from } from 'rxjs';
 * import { createPool } from 'rxjs-threadpool';
 * import { poolMap, splitOutcomes } from 'rxjs-threadpool/operators';
 * import type { Tasks } from './primes.worker';
 *
 * const pool = createPool<Tasks>(new URL('./primes.worker.js', import.meta.url));
 * const { results$, errors$ } = splitOutcomes(from([1e5, 2e5, -1]).pipe(poolMap(pool, 'countPrimes')));
 * errors$.subscribe(({ request, error }) => console.error(request.id, error.message));
 * results$.subscribe({ next: ({ value }) => console.log(value), complete: () => pool.close() });
 * ```
 * @see {@link splitOutcomes} to get results and errors as two streams.
 * @typeParam T - The pool's task map.
 * @typeParam K - The task's name.
 * @param pool - The pool to run on (`createPool`, or `createVirtualPool` in tests).
 * @param task - The name of a task the pool's worker module exposes.
 * @param options - See {@link PoolMapOptions}. With `progress: true` the
 * stream also carries {@link PoolMapProgress} items.
 * @return An operator from arguments (or requests) to outcomes.
 * @throws InvalidOptionError for a value that is not a pool, a task that is
 * not a string, or a bad option (all synchronously, when `poolMap` is called).
 * @throws UnknownTaskError when the pool already knows its worker module does not expose `task`.
 */
export function poolMap<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  options?: PoolMapOptions<TaskArgs<T, K>> & { readonly progress?: false },
): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K>>;
export function poolMap<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  options: PoolMapOptions<TaskArgs<T, K>> & { readonly progress: true },
): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K> | PoolMapProgress<T, K>>;
export function poolMap<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  options?: PoolMapOptions<TaskArgs<T, K>>,
): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K> | PoolMapProgress<T, K>>;
export function poolMap<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  options?: PoolMapOptions<TaskArgs<T, K>>,
): OperatorFunction<PoolMapInput<T, K>, PoolMapOutcome<T, K> | PoolMapProgress<T, K>> {
  if (!(pool instanceof Pool)) throw new InvalidOptionError('pool', pool, 'a pool from createPool() or createVirtualPool()');
  if (typeof task !== 'string' || task === '') throw new InvalidOptionError('task', task, 'a task name (a non-empty string)');
  const resolved = resolveOptions(options);
  pool.checkTask(task);
  return (source) => new Observable<PoolMapOutcome<T, K> | PoolMapProgress<T, K>>((subscriber) => runPipeline(pool, task, resolved, source, subscriber));
}

/** `poolMap`'s options, checked and with their defaults. */
interface ResolvedOptions {
  readonly lane: PipelineOptions;
  readonly transfer: ((...args: never) => readonly Transferable[]) | undefined;
  readonly queueSize: number | undefined;
  readonly overflow: (typeof overflows)[number];
  /** The ordered buffer's bound; 0 when output is not ordered. */
  readonly buffer: number;
  readonly signal: AbortSignal | undefined;
  readonly progress: boolean;
}

/** Checks every option at the door (unknown names too), naming the option and the value. */
function resolveOptions(options: PoolMapOptions<never> | undefined): ResolvedOptions {
  const given = checkOptionsObject('poolMap options', options);
  checkKnownKeys('the poolMap options', given, optionNames, optionAliases);
  const {
    batch = 'auto',
    ordered = false,
    transfer,
    rerunOnCrash = true,
    queue,
    timeout,
    cancel = 'abandon',
    signal,
    progress = false,
    priority = 0,
    name,
  } = given;
  if (name !== undefined && typeof name !== 'string') throw new InvalidOptionError('name', name, 'a string');
  if (typeof progress !== 'boolean') throw new InvalidOptionError('progress', progress, 'a boolean');
  if (typeof priority !== 'number' || !Number.isFinite(priority)) throw new InvalidOptionError('priority', priority, 'a finite number');
  if (timeout !== undefined) checkTimeout('timeout', timeout);
  if (!cancels.includes(cancel)) throw new InvalidOptionError('cancel', cancel, `one of ${cancels.map((each) => `'${each}'`).join(', ')}`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError('signal', signal, 'an AbortSignal');
  const queueOptions = queue === undefined ? undefined : checkOptionsObject('queue', queue);
  if (queueOptions)
    checkKnownKeys('the queue options', queueOptions, ['size', 'overflow'], { maxSize: 'size', limit: 'size', policy: 'overflow', strategy: 'overflow' });
  const queueSize = queueOptions === undefined ? undefined : checkInteger('queue.size', queueOptions.size, 1);
  const overflow = queueOptions?.overflow ?? 'error';
  if (!overflows.includes(overflow)) throw new InvalidOptionError('queue.overflow', overflow, `one of ${overflows.map((each) => `'${each}'`).join(', ')}`);
  if (batch !== 'auto') checkInteger('batch', batch, 1, MAX_BATCH_REQUESTS);
  let buffer = 0;
  if (typeof ordered === 'object' && ordered !== null && !Array.isArray(ordered)) {
    checkKnownKeys('the ordered options', ordered, ['buffer'], { size: 'buffer', max: 'buffer' });
    buffer = checkInteger('ordered.buffer', ordered.buffer, 1);
  } else if (ordered === true) {
    buffer = DEFAULT_ORDERED_BUFFER;
  } else if (ordered !== false) {
    throw new InvalidOptionError('ordered', ordered, 'a boolean or { buffer: n }');
  }
  if (transfer !== undefined && typeof transfer !== 'function')
    throw new InvalidOptionError('transfer', transfer, 'a function of the arguments returning their transferables');
  if (typeof rerunOnCrash !== 'boolean') throw new InvalidOptionError('rerunOnCrash', rerunOnCrash, 'a boolean');
  return {
    lane: {
      batch,
      rerunOnCrash,
      ...(timeout === undefined ? {} : { timeout }),
      ...(cancel === 'terminate' ? { cancel } : {}),
      ...(priority !== 0 ? { priority } : {}),
      ...(name !== undefined ? { name } : {}),
    },
    transfer,
    queueSize,
    overflow,
    buffer,
    signal,
    progress,
  };
}

/**
 * One subscription of a `poolMap` pipeline: a lane on the pool, the source
 * subscribed through a subscriber chained to the output (so closing the
 * output stops a source that is still emitting synchronously), and, with
 * `ordered`, the buffer that holds outcomes until every earlier one is out.
 */
function runPipeline<T extends TaskMap, K extends TaskName<T>>(
  pool: Pool<T>,
  task: K,
  { lane: laneOptions, transfer, queueSize, overflow, buffer, signal, progress }: ResolvedOptions,
  source: Observable<PoolMapInput<T, K>>,
  subscriber: Subscriber<PoolMapOutcome<T, K> | PoolMapProgress<T, K>>,
): void {
  if (signal?.aborted) {
    subscriber.complete();
    return;
  }
  let sourceDone = false;
  /** Outcomes being emitted now: a source completed from inside an emission (a feedback loop) waits for it to be out. */
  let emitting = 0;
  const completeIfDone = (): void => {
    if (sourceDone && emitting === 0 && lane.pending === 0 && waiting === 0) subscriber.complete();
  };
  const emit = (outcome: PoolMapOutcome<T, K>): void => {
    emitting++;
    try {
      subscriber.next(outcome);
    } finally {
      emitting--;
    }
    completeIfDone();
  };
  // Ordered output: outcomes wait here, by sequence number, until every earlier one is out.
  const early = new Map<number, PoolMapOutcome<T, K>>();
  let nextOut = 0;
  let nextIn = 0;
  let waiting = 0;
  const deliver =
    buffer === 0
      ? (outcome: PoolMapOutcome<T, K>) => emit(outcome)
      : (outcome: PoolMapOutcome<T, K>, seq: number) => {
          early.set(seq, outcome);
          waiting++;
          let ready: PoolMapOutcome<T, K> | undefined;
          const released = waiting;
          while ((ready = early.get(nextOut)) !== undefined) {
            early.delete(nextOut++);
            waiting--;
            emit(ready);
          }
          if (waiting < released) lane.wake();
        };
  const iterable = pullableOf(source);
  const pullLimit = queueSize ?? DEFAULT_PULL_QUEUE;
  let closed = false;
  let pulling = false;
  let iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
  // A pull source: take the next value only while the queue has room (synchronously from a sync iterable).
  const pull = async (): Promise<void> => {
    if (pulling || closed || sourceDone || !iterator) return;
    pulling = true;
    try {
      while (!closed && lane.queued < pullLimit) {
        const pending = iterator.next();
        const next = isPromise(pending) ? await pending : pending;
        if (closed) return;
        if (next.done) {
          sourceDone = true;
          completeIfDone();
          return;
        }
        accept(next.value);
      }
    } catch (error) {
      subscriber.error(error);
    } finally {
      pulling = false;
    }
  };
  const lane = pool.openPipeline(task, deliver as Deliver, {
    ...laneOptions,
    ...(buffer === 0 ? {} : { gate: () => lane.running + waiting < buffer }),
    ...(iterable ? { dequeued: () => void pull() } : {}),
    ...(progress
      ? { progress: (request: WorkRequest<readonly unknown[]>, value: unknown) => subscriber.next({ request, progress: value } as PoolMapProgress<T, K>) }
      : {}),
  });
  /** One source value in: its request is queued, or (a full queue, a throwing `transfer`) ends at once with its one outcome. */
  const accept = (value: unknown): void => {
    const request = isWorkRequest(value) ? value : workRequest([value]);
    const tag = nextIn++;
    let transferables: readonly Transferable[] | undefined;
    if (transfer) {
      try {
        transferables = transferList(transfer(...(request.args as never)));
      } catch (error) {
        lane.refuse(request, tag, new CallbackError('transfer', request.id, error));
        return;
      }
    }
    if (queueSize !== undefined && !iterable && lane.queued >= queueSize) {
      if (overflow !== 'drop-oldest') {
        lane.refuse(request, tag, new QueueFullError(queueSize, request.id, overflow === 'error' ? 'full' : 'dropped'));
        return;
      }
      lane.dropOldest((dropped) => new QueueFullError(queueSize, dropped.id, 'dropped'));
    }
    lane.submit(request, tag, task, transferables);
  };
  const onAbort = (): void => subscriber.complete();
  // Registered before the source is subscribed, so that closing the output (take, an abort, an error)
  // closes the lane at once, even while a synchronous source is still emitting.
  subscriber.add(() => {
    closed = true;
    signal?.removeEventListener('abort', onAbort);
    closeIterator(iterator);
    lane.close();
  });
  signal?.addEventListener('abort', onAbort, { once: true });
  if (iterable) {
    iterator = Symbol.asyncIterator in iterable ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    void pull();
    return;
  }
  source.subscribe(
    new SourceSubscriber(subscriber, accept, () => {
      sourceDone = true;
      completeIfDone();
    }),
  );
}

/**
 * Tells a pulled iterator that no more values are wanted. What its `return`
 * does wrong (a rejection; a generator already running, when it aborted its
 * own signal) must not become an unhandled error of the process.
 */
function closeIterator(iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined): void {
  try {
    const closing = iterator?.return?.();
    if (isPromise(closing)) closing.catch(() => undefined);
  } catch {
    // Already running or already done: nothing to close.
  }
}

/** What a `transfer` function returned, checked: an array (empty when there is nothing to move). */
function transferList(returned: unknown): readonly Transferable[] | undefined {
  if (!Array.isArray(returned)) throw new TypeError(`it returned ${describeValue(returned)}, not an array of transferables`);
  return returned.length === 0 ? undefined : (returned as Transferable[]);
}

/**
 * The subscriber `poolMap` gives its source: chained to the output's
 * subscriber (as RxJS's own operators chain theirs), so when the output
 * closes the source sees `closed` at once, even mid-emission, and a
 * synchronous source stops. A source error goes to the output at once;
 * completion waits for the outcomes still to come.
 */
class SourceSubscriber<T> extends Subscriber<T> {
  constructor(
    destination: Subscriber<unknown>,
    private readonly onValue: (value: T) => void,
    private readonly onComplete: () => void,
  ) {
    super(destination);
  }

  protected override _next(value: T): void {
    try {
      this.onValue(value);
    } catch (error) {
      // Only a bug of ours can land here (a request's own faults become its outcome): the stream errors, as in RxJS.
      this.destination.error(error);
    }
  }

  protected override _complete(): void {
    try {
      this.onComplete();
    } finally {
      this.unsubscribe();
    }
  }
}
