/**
 * Work requests: one call of a task, with a unique, stable id.
 *
 * @module
 */
import { reportFailure } from './reportFailure.js';

const brand: unique symbol = Symbol.for('rxjs-threadpool.WorkRequest') as never;
let lastId = 0;

/** The next request id: unique within the process, increasing. */
export function nextRequestId(): number {
  return ++lastId;
}

/** One request: the arguments of one task call, under an id that stays the same from source to outcome. */
export interface WorkRequest<A extends readonly unknown[] = unknown[], R = unknown> {
  /** Unique within the process (the seed's `requestID`). */
  readonly id: number;
  /** The arguments the task is called with. */
  readonly args: A;
  /** The task to run, for `ThreadPool.putRequest` (`poolMap` names its task itself and ignores this). */
  readonly task?: string;
  /** `ThreadPool`: called by `poll()` with the request's result (the seed's `callback`). */
  callback?(request: WorkRequest<A, R>, value: R): void;
  /** `ThreadPool`: called by `poll()` with the request's error (the seed's `exc_callback`). */
  excCallback?(request: WorkRequest<A, R>, error: Error): void;
  readonly [brand]: true;
}

/** Makes one request from an argument list. */
export function workRequest<const A extends readonly unknown[]>(args: A): WorkRequest<A> {
  return { id: nextRequestId(), args, [brand]: true };
}

/** Whether a value is a {@link WorkRequest} (from `makeRequests` or `workRequest`). */
export function isWorkRequest(value: unknown): value is WorkRequest<unknown[]> {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

/** The argument list for an item of `makeRequests`: an array is the list, anything else the single argument. */
export type ArgsOf<I> = I extends readonly unknown[] ? I : [I];

/** The seed's default `exc_callback`: prints the error with its stack. */
export function printError(request: WorkRequest<readonly unknown[], unknown>, error: Error): void {
  reportFailure({ ok: false, request, error });
}

/**
 * Builds one {@link WorkRequest} per item, with the seed's tuple rule: an item
 * that is an array is spread as the task's arguments, any other item is the
 * single argument.
 *
 * @example
 * ```ts
 * makeRequests([1, 2, 3]);          // for poolMap(pool, 'fib'): fib(1), fib(2), fib(3)
 * makeRequests([[2, 10], [3, 4]]);  // for poolMap(pool, 'pow'): pow(2, 10), pow(3, 4)
 * ```
 * @param argsList - One item per request.
 * @returns The requests, in order, each with a new unique id.
 */
export function makeRequests<const I>(argsList: Iterable<I>): WorkRequest<ArgsOf<I>>[];
/**
 * The seed's form, for `ThreadPool.putRequest`: requests that carry their
 * task's name and the callbacks `poll()` hands their outcome to.
 * Without `excCallback`, an error is printed with its stack (the seed's
 * default handler), never swallowed.
 *
 * @example
 * ```ts
 * for (const request of makeRequests('fib', [10, 20, 30], (req, value) => console.log(req.args[0], value))) {
 *   await threadPool.putRequest(request);
 * }
 * await threadPool.wait();
 * ```
 * @param task - The task's name.
 * @param argsList - One item per request (the tuple rule as above).
 * @param callback - Gets `(request, value)` for each result.
 * @param excCallback - Gets `(request, error)` for each error.
 */
export function makeRequests<const I, R = unknown>(
  task: string,
  argsList: Iterable<I>,
  callback?: (request: WorkRequest<ArgsOf<I>, R>, value: R) => void,
  excCallback?: (request: WorkRequest<ArgsOf<I>, R>, error: Error) => void,
): WorkRequest<ArgsOf<I>, R>[];
export function makeRequests(...params: unknown[]): WorkRequest<unknown[]>[] {
  const seedForm = typeof params[0] === 'string' && params.length >= 2;
  const argsList = (seedForm ? params[1] : params[0]) as Iterable<unknown>;
  if (argsList === null || typeof (argsList as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`makeRequests(${seedForm ? 'task, ' : ''}argsList): argsList must be an iterable of argument items, got ${argsList === null ? 'null' : typeof argsList}.`);
  }
  const [task, callback, excCallback] = seedForm ? [params[0] as string, params[2], params[3] ?? printError] : [];
  for (const [name, value] of [['callback', callback], ['excCallback', excCallback]] as const) {
    if (value !== undefined && typeof value !== 'function') throw new TypeError(`makeRequests: ${name} must be a function, got ${typeof value}.`);
  }
  const requests: WorkRequest<unknown[]>[] = [];
  for (const item of argsList) {
    const args = Array.isArray(item) ? item : [item];
    requests.push(
      seedForm
        ? ({ id: nextRequestId(), args, task, ...(callback ? { callback } : {}), excCallback, [brand]: true } as WorkRequest<unknown[]>)
        : { id: nextRequestId(), args, [brand]: true },
    );
  }
  return requests;
}
