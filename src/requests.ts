/**
 * Work requests: one call of a task, with a unique, stable id.
 *
 * @module
 */
import { type FailureError, InvalidOptionError } from './errors.js';
import { reportFailure } from './reportFailure.js';

const brand: unique symbol = Symbol.for('rxjs-threadpool.WorkRequest') as never;
let lastId = 0;

/** The next request id: unique within the process, increasing. */
export function nextRequestId(): number {
  return ++lastId;
}

/**
 * One request: the arguments of one task call, under an id that stays the
 * same from source to outcome. Made by {@link workRequest} or
 * {@link makeRequests} (not by an object literal: see the brand below);
 * `poolMap` makes one for each plain source value.
 *
 * @typeParam A - The task's argument list.
 * @typeParam R - The task's result (what `callback` gets).
 */
export interface WorkRequest<A extends readonly unknown[] = unknown[], R = unknown> {
  /** Unique within the process (the seed's `requestID`). */
  readonly id: number;
  /** The arguments the task is called with. */
  readonly args: A;
  /** The task to run, for `ThreadPool.putRequest` (`poolMap` names its task itself and ignores this). */
  readonly task?: string;
  /**
   * `ThreadPool`: called by `poll()` with the request's result (the seed's `callback`).
   *
   * @param request - This request.
   * @param value - The task's result.
   */
  callback?(request: WorkRequest<A, R>, value: R): void;
  /**
   * `ThreadPool`: called by `poll()` with the request's error (the seed's `exc_callback`).
   *
   * @param request - This request.
   * @param error - Why it failed: a `PoolError` subclass.
   */
  excCallback?(request: WorkRequest<A, R>, error: FailureError): void;
  /**
   * Marks a real request, made by {@link workRequest} or {@link makeRequests}:
   * `poolMap` tells a request from a plain value (an argument) by it.
   */
  readonly [brand]: true;
}

/**
 * Makes one request from an argument list, with a new id. `poolMap` spreads
 * its arguments into the task, so this is how a source feeds a task of
 * several arguments.
 *
 * @example
 * ```ts
 * of(workRequest([2, 10]), workRequest([3, 4])).pipe(poolMap(pool, 'pow'));   // pow(2, 10), pow(3, 4)
 * ```
 * @typeParam A - The argument list's type, inferred as a tuple.
 * @param args - The arguments the task is called with.
 * @returns The request.
 * @throws InvalidOptionError when `args` is not an array (from plain JavaScript).
 */
export function workRequest<const A extends readonly unknown[]>(args: A): WorkRequest<A> {
  if (!Array.isArray(args)) throw new InvalidOptionError('workRequest(args)', args, "an array of the task's arguments (workRequest([x]) for one argument)");
  return { id: nextRequestId(), args, [brand]: true };
}

/**
 * Whether a value is a {@link WorkRequest} (from `makeRequests` or `workRequest`).
 *
 * @param value - Anything.
 * @returns `true` for a request; narrows the type.
 */
export function isWorkRequest(value: unknown): value is WorkRequest<unknown[]> {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

/**
 * The argument list for an item of `makeRequests`: an array is the list, anything else the single argument.
 *
 * @typeParam I - The item's type.
 */
export type ArgsOf<I> = I extends readonly unknown[] ? I : [I];

/**
 * The seed's default `exc_callback`: prints the error with its stack (with
 * `console.error`), naming the request. `makeRequests(task, …)` uses it when
 * given no `excCallback`.
 *
 * @param request - The request that failed.
 * @param error - Why it failed.
 */
export function printError(request: WorkRequest<readonly unknown[], unknown>, error: FailureError): void {
  reportFailure({ request, error });
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
 * @typeParam I - An item's type; `const`, so array literals are inferred as tuples.
 * @param argsList - One item per request.
 * @returns The requests, in order, each with a new unique id.
 * @throws TypeError when `argsList` is not iterable.
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
 * @typeParam I - An item's type; `const`, so array literals are inferred as tuples.
 * @typeParam R - The task's result, as `callback` receives it.
 * @param task - The task's name.
 * @param argsList - One item per request (the tuple rule as above).
 * @param callback - Gets `(request, value)` for each result.
 * @param excCallback - Gets `(request, error)` for each error. Default: {@link printError}.
 * @returns The requests, in order, each with a new unique id.
 * @throws TypeError when `argsList` is not iterable, or a callback is not a function.
 */
export function makeRequests<const I, R = unknown>(
  task: string,
  argsList: Iterable<I>,
  callback?: (request: WorkRequest<ArgsOf<I>, R>, value: R) => void,
  excCallback?: (request: WorkRequest<ArgsOf<I>, R>, error: FailureError) => void,
): WorkRequest<ArgsOf<I>, R>[];
export function makeRequests(...params: unknown[]): WorkRequest<unknown[]>[] {
  const seedForm = typeof params[0] === 'string' && params.length >= 2;
  const argsList = (seedForm ? params[1] : params[0]) as Iterable<unknown>;
  if (argsList === null || typeof (argsList as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
    throw new TypeError(
      `makeRequests(${seedForm ? 'task, ' : ''}argsList): argsList must be an iterable of argument items, got ${argsList === null ? 'null' : typeof argsList}.`,
    );
  }
  const [task, callback, excCallback] = seedForm ? [params[0] as string, params[2], params[3] ?? printError] : [];
  for (const [name, value] of [
    ['callback', callback],
    ['excCallback', excCallback],
  ] as const) {
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
