/**
 * `createVirtualPool`: a pool that runs tasks in virtual time, for marble tests.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTasks } from '../src/checks.js';
import { InvalidOptionError } from '../src/errors.js';
import { Pool } from '../src/Pool.js';
import { checkSize, type PoolSize } from '../src/poolSize.js';

/** The most virtual workers a pool runs. */
const MOST = 1_000_000;
import type { TaskMap } from '../src/tasks.js';
import { type VirtualDuration, VirtualExecutor } from './VirtualExecutor.js';

/** Options of {@link createVirtualPool}. */
export interface VirtualPoolOptions {
  /** The scheduler whose clock the workers run on: the `TestScheduler` of your test. Required. */
  readonly scheduler: SchedulerLike;
  /**
   * Virtual workers: a number (0 or more), or `{ min, max }` (the pool
   * starts `min`, grows towards `max` while requests wait, and shrinks
   * towards `min` after `idleTimeout` frames), as `createPool`'s. Default 1.
   */
  readonly size?: PoolSize;
  /** Frames an idle virtual worker waits before it exits, while the pool runs more than its least size. Default: with `{ min, max }`, 10; with a number, never. */
  readonly idleTimeout?: number;
  /** Frames each request takes: a number, or a function of `(task, args)`. Default 1. */
  readonly duration?: VirtualDuration;
  /** The most requests queued over every pipeline, as `createPool`'s `maxQueue`. Default: no bound. */
  readonly maxQueue?: number;
  /**
   * Every pipeline's default `cancelGrace`, as `createPool`'s, in frames:
   * after a timeout or a cancel (`cancel: 'terminate'`, `signal`), how many
   * frames a task that read its signal (`this.signal`) may take to settle
   * before its virtual worker is replaced. In virtual time the task settles
   * when its request's `duration` is over: within the grace the worker is
   * kept (no `workerExited` event), free again at that frame; else it is
   * replaced when the grace has passed. A task that never read its signal
   * is replaced at once. The request's outcome never waits: it is the
   * timeout's or the cancel's, at its frame. Default 1000.
   */
  readonly cancelGrace?: number;
}

/**
 * Builds a pool whose workers live in virtual time: each request runs its
 * task synchronously on the main thread and its outcome arrives `duration`
 * frames later on `scheduler`. Queueing, concurrency, resizing,
 * cancellation and closing go through the same scheduler as a real pool,
 * and tasks run through the same worker-side runtime as on a thread (their
 * `this.key` and `this.signal`, generators' progress, `transfer()`, errors),
 * so a marble test of your pipeline tests what runs in production, without
 * threads.
 *
 * Tasks must be synchronous (a sync generator is drained at once); one that
 * returns a promise or an async generator fails its request with
 * `TaskError`. Pass the same task map your worker module exposes
 * (`exposeTasks` only returns it when imported on the main thread).
 *
 * @example
 * ```ts
 * import { TestScheduler } from 'rxjs/testing';
 * import { createVirtualPool } from 'rxjs-threadpool/marbles';
 * import { poolMap } from 'rxjs-threadpool/operators';
 * import { tasks } from './primes.worker';
 *
 * const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
 * testScheduler.run(({ cold, expectObservable }) => {
 *   const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 3 });
 *   const values = cold('a b c |', { a: 10, b: 20, c: 30 }).pipe(poolMap(pool, 'countPrimes'), map((o) => o.ok && o.value));
 *   expectObservable(values).toBe('---x y--(z|)', { x: 4, y: 8, z: 10 });
 * });
 * ```
 * @typeParam T - The task map.
 * @param tasks - The tasks, by name.
 * @param options - See {@link VirtualPoolOptions}.
 * @returns A {@link Pool}, the same class `createPool` returns: give it to
 * `poolMap`, read its `stats`, resize or close it.
 * @throws InvalidOptionError for bad tasks or options.
 */
export function createVirtualPool<T extends TaskMap>(tasks: T, options: VirtualPoolOptions): Pool<T> {
  checkTasks(tasks);
  const given = checkOptionsObject('options', options);
  checkKnownKeys('the createVirtualPool options', given, ['scheduler', 'size', 'duration', 'maxQueue', 'idleTimeout', 'cancelGrace'], {
    frames: 'duration',
    workers: 'size',
    testScheduler: 'scheduler',
  });
  const { scheduler, size = 1, duration = 1, maxQueue, cancelGrace } = given;
  const ranged = typeof size !== 'number';
  const { idleTimeout = ranged ? 10 : undefined } = given;
  if (idleTimeout !== undefined) checkInteger('idleTimeout', idleTimeout, 1);
  if (maxQueue !== undefined) checkInteger('maxQueue', maxQueue, 1);
  if (cancelGrace !== undefined) checkInteger('cancelGrace', cancelGrace, 1);
  if (typeof scheduler?.schedule !== 'function') throw new InvalidOptionError('scheduler', scheduler, 'an RxJS scheduler (your TestScheduler)');
  const range = typeof size === 'number' ? { min: checkInteger('size', size, 0, MOST), max: size } : checkSize('size', size, MOST);
  if (typeof duration === 'number') checkInteger('duration', duration, 0);
  else if (typeof duration !== 'function') throw new InvalidOptionError('duration', duration, 'a number of frames or a function of (task, args)');
  return new Pool<T>(new VirtualExecutor(tasks, range.min, scheduler, duration, idleTimeout), {
    maxQueue,
    range,
    most: MOST,
    ...(cancelGrace === undefined ? {} : { defaults: { cancelGrace } }),
  });
}
