/**
 * `poolPipe`: runs a stream task (an RxJS operator declared with
 * `streamTask` in the worker module) inside the pool's workers, one
 * instance per key.
 *
 * @module
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../src/errors.js';
import type { Key } from '../src/keys.js';
import type { StreamOutcome } from '../src/outcomes.js';
import { Pool } from '../src/Pool.js';
import type { BatchSize } from '../src/scheduler/batchSizing.js';
import type { TaskMap, TaskName } from '../src/tasks.js';
import type { StreamTask } from '../src/worker/streamTask.js';
import { resolvePoolPipeOptions } from './internal/pipeOptions.js';
import { subscribePoolPipe } from './internal/streamSubscription.js';

/**
 * The stream tasks of a task map: the names whose task `streamTask` made.
 *
 * @typeParam T - The pool's task map.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any input and output: only the kind of task matters here
export type StreamTaskName<T extends TaskMap> = { [K in TaskName<T>]: T[K] extends StreamTask<any, any> ? K : never }[TaskName<T>];

/**
 * What a stream task is fed.
 *
 * @typeParam T - The pool's task map.
 * @typeParam K - The stream task's name.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the output is not asked for
export type StreamTaskInput<T extends TaskMap, K extends StreamTaskName<T>> = T[K] extends StreamTask<infer I, any> ? I : never;

/**
 * What a stream task emits.
 *
 * @typeParam T - The pool's task map.
 * @typeParam K - The stream task's name.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the input is not asked for
export type StreamTaskOutput<T extends TaskMap, K extends StreamTaskName<T>> = T[K] extends StreamTask<any, infer O> ? O : never;

/**
 * Options of {@link poolPipe}.
 *
 * @typeParam I - What the stream task is fed.
 */
export interface PoolPipeOptions<I> {
  /**
   * A value's key (a string or a finite number): one instance of the
   * operator per key, in the worker that owns the key (placed as
   * `poolMap`'s keys are); a key's values are fed in order, its outputs
   * come out in order, keys interleave. A `key` that throws or returns
   * anything else ends that value with `CallbackError`; the stream goes
   * on. Without it, one instance runs the whole stream, in one worker.
   */
  readonly key?: (value: I) => Key;
  /**
   * Completes an instance's input after this many ms without a value (on
   * the worker's clock; frames on a virtual pool): it flushes and ends, and
   * its key's next value starts a fresh instance. Default: none.
   */
  readonly keyIdleTimeout?: number;
  /**
   * The most live instances: when a value of a new key would start one
   * more, the idlest instance (fed least recently) completes (it flushes and
   * ends; its key's next value starts a fresh one). Default: no bound.
   */
  readonly maxKeys?: number;
  /** How many values travel to a worker in one message, as `poolMap`'s `batch`. Default `'auto'`. */
  readonly batch?: BatchSize;
  /**
   * Bounds the values waiting for their worker, as `poolMap`'s `queue`: a
   * value refused ends with `QueueFullError`; a `pullFrom` source waits
   * instead (`size` defaults to 1000 there). Values in flight are bounded
   * too: a key has one batch in flight, a worker `tasksPerWorker`.
   */
  readonly queue?: {
    /** The most values waiting; at least 1. */
    readonly size: number;
    /** What happens to a value that arrives when `size` are waiting. Default `'error'`. */
    readonly overflow?: 'error' | 'drop-newest' | 'drop-oldest';
  };
  /** Cancels the stream when aborted, as unsubscribing does: every instance is unsubscribed in its worker. */
  readonly signal?: AbortSignal;
  /** As `poolMap`'s `priority` as a number (the pipeline's). Default 0. */
  readonly priority?: number;
  /** The pipeline's name in `pool.stats.pipelines`. Default: the task's name. */
  readonly name?: string;
}

/**
 * Runs a stream task in the pool's workers: one instance of its operator
 * per key, in the worker that owns the key, fed the key's values in order;
 * emits what the instances emit as `{ ok: true, key, value }`, and their
 * failures as `{ ok: false, key, error }` (`results()`, `errors()` and
 * `splitOutcomes` take them apart).
 *
 * - When the source completes, every instance's input completes (so
 *   `bufferTime`, `reduce`, windows flush), and the output completes after
 *   the last instance has.
 * - An error inside an instance is one `TaskError` outcome for its key
 *   (the worker's error as `cause`) and ends that instance only; the key's
 *   next value starts a fresh one. A source error tears every instance
 *   down and is passed on.
 * - Unsubscribing unsubscribes every instance inside its worker (its
 *   `finalize` runs there).
 * - A worker that ends (it crashed, or was dismissed, recycled or retired)
 *   ends its instances with one `WorkerCrashedError` outcome per key, whose
 *   `stream.fed` says how many values had been sent to it; the key's next
 *   value starts a fresh instance on a live worker. Every value reaches an
 *   instance or is counted in an outcome.
 * - Operators run on the worker's clock; on a virtual pool, in virtual time.
 * - Stream tasks are local: on a queue pool (`rxjs-threadpool/bullmq`) the
 *   stream fails at subscribe with `InvalidOptionError`.
 *
 * ```text
 * pool of 2 virtual workers; the task is (input$) => input$.pipe(scan((n) => n + 1, 0)), key = the letter
 *
 * source:  a-b-a-a|
 *          poolPipe(pool, 'count', { key })
 * output:  a-b-A-B|      a = { key: 'a', value: 1 }, b = { key: 'b', value: 1 }, A = { key: 'a', value: 2 }, B = { key: 'a', value: 3 }
 * ```
 *
 * @example
 * ```ts
 * clicks$.pipe(poolPipe(pool, 'sessionize', { key: (click) => click.user }), results()).subscribe(({ key, value }) => console.log(key, value));
 * ```
 * @typeParam T - The pool's task map.
 * @typeParam K - The stream task's name.
 * @param pool - The pool (`createPool`, or `createVirtualPool` in tests).
 * @param task - The name of a stream task of the pool's worker module.
 * @param options - See {@link PoolPipeOptions}.
 * @returns An operator from values to stream outcomes.
 * @throws InvalidOptionError for a value that is not a pool, a task that is not a string, or a bad option.
 * @throws UnknownTaskError when the pool already knows its worker module does not expose `task`.
 */
export function poolPipe<T extends TaskMap, K extends StreamTaskName<T>>(
  pool: Pool<T>,
  task: K,
  options?: PoolPipeOptions<StreamTaskInput<T, K>>,
): OperatorFunction<StreamTaskInput<T, K>, StreamOutcome<StreamTaskOutput<T, K>>> {
  if (!(pool instanceof Pool)) throw new InvalidOptionError('pool', pool, 'a pool from createPool() or createVirtualPool()');
  if (typeof task !== 'string' || task === '') throw new InvalidOptionError('task', task, 'a stream task name (a non-empty string)');
  const resolved = resolvePoolPipeOptions(options);
  pool.checkTask(task);
  return (source) =>
    new Observable<StreamOutcome<StreamTaskOutput<T, K>>>((subscriber) =>
      subscribePoolPipe(pool as unknown as Pool<TaskMap>, task, resolved, source, subscriber as never),
    );
}
