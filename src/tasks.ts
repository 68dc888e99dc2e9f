/**
 * Types that carry a worker module's task signatures to the master side.
 *
 * @module
 */

/** A task: any function of structured-cloneable arguments. */
// `any[]` is needed for the parameter position to accept every function type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Task = (...args: any[]) => unknown;

/** The tasks a worker module exposes, by name. */
export type TaskMap = { readonly [name: string]: Task };

/** The task names of a task map. */
export type TaskName<T extends TaskMap> = Extract<keyof T, string>;

/** A task's argument list. */
export type TaskArgs<T extends TaskMap, K extends TaskName<T>> = Parameters<T[K]>;

/** What a task's request resolves to (a promise's value for an async task). */
export type TaskResult<T extends TaskMap, K extends TaskName<T>> = Awaited<ReturnType<T[K]>>;

/**
 * The plain value a source may emit for a task: its single argument.
 * Tasks that take several required arguments need `WorkRequest`s.
 */
export type TaskInput<T extends TaskMap, K extends TaskName<T>> =
  Parameters<T[K]> extends [infer A, ...infer Rest] ? ([] extends Rest ? A : never) : never;
