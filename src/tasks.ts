/**
 * Types that carry a worker module's task signatures to the master side.
 *
 * @module
 */
import type { Key } from './keys.js';

/**
 * A task: any function of structured-cloneable arguments, sync or async, or
 * a generator function (what it yields is progress, what it returns the
 * result). Its result must be structured-cloneable too.
 *
 * @category Tasks
 */
// `any[]` is needed for the parameter position to accept every function type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Task = (...args: any[]) => unknown;

/**
 * What a task sees as `this` while it runs a request. Declare it as the
 * task's `this` parameter to read it:
 *
 * ```ts
 * exposeTasks({
 *   deposit(this: TaskContext, amount: number) {
 *     const balance = (balances.get(this.key!) ?? 0) + amount;
 *     balances.set(this.key!, balance);
 *     return balance;
 *   },
 *   async crawl(this: TaskContext, url: string) {
 *     const response = await fetch(url, { signal: this.signal });
 *     return response.text();
 *   },
 * });
 * ```
 *
 * @category Tasks
 */
export interface TaskContext {
  /** The request's key, in a keyed pipeline (`poolMap`'s `key` option); `undefined` otherwise. */
  readonly key: Key | undefined;
  /**
   * The request's own AbortSignal: aborted when the request is cancelled
   * (its `timeout` passed, its subscriber unsubscribed with
   * `cancel: 'terminate'`, its `signal` aborted, the pool closed). A task
   * that reads it, and stops when it aborts, keeps its worker: the pool
   * waits `cancelGrace` ms for it to settle before it terminates the worker
   * (one that never read its signal is terminated at once). Its `reason` is
   * a `DOMException` named `TimeoutError` for a timeout, `AbortError`
   * otherwise. The request's outcome is the cancellation's, whatever the
   * task then returns or throws.
   */
  readonly signal: AbortSignal;
}

/**
 * The tasks a worker module exposes, by name: what `exposeTasks` takes and
 * returns. A pool is typed by it (`createPool<typeof tasks>(…)`).
 *
 * @category Tasks
 */
export type TaskMap = { readonly [name: string]: Task };

/**
 * The task names of a task map.
 *
 * @typeParam T - The task map.
 *
 * @category Tasks
 */
export type TaskName<T extends TaskMap> = Extract<keyof T, string>;

/**
 * A task's argument list.
 *
 * @typeParam T - The task map.
 * @typeParam K - The task's name.
 *
 * @category Tasks
 */
export type TaskArgs<T extends TaskMap, K extends TaskName<T>> = Parameters<T[K]>;

/**
 * What a task's request resolves to: a promise's value for an async task,
 * the returned value for a generator task.
 *
 * @typeParam T - The task map.
 * @typeParam K - The task's name.
 *
 * @category Tasks
 */
export type TaskResult<T extends TaskMap, K extends TaskName<T>> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ReturnType<T[K]> extends Generator<unknown, infer R, any> | AsyncGenerator<unknown, infer R, any> ? Awaited<R> : Awaited<ReturnType<T[K]>>;

/**
 * What a generator task yields as progress (`never` for other tasks).
 *
 * @typeParam T - The task map.
 * @typeParam K - The task's name.
 *
 * @category Tasks
 */
export type TaskProgress<T extends TaskMap, K extends TaskName<T>> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ReturnType<T[K]> extends Generator<infer P, unknown, any> | AsyncGenerator<infer P, unknown, any> ? P : never;

/**
 * The plain value a source may emit for a task: its single argument.
 * Tasks that take several required arguments need `WorkRequest`s.
 *
 * @typeParam T - The task map.
 * @typeParam K - The task's name.
 *
 * @category Tasks
 */
export type TaskInput<T extends TaskMap, K extends TaskName<T>> = Parameters<T[K]> extends [infer A, ...infer Rest] ? ([] extends Rest ? A : never) : never;
