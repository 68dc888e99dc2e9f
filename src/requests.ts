/**
 * Work requests: one call of a task, with a unique, stable id.
 *
 * @module
 */

const brand: unique symbol = Symbol.for('rxjs-threadpool.WorkRequest') as never;
let lastId = 0;

/** The next request id: unique within the process, increasing. */
export function nextRequestId(): number {
  return ++lastId;
}

/** One request: the arguments of one task call, under an id that stays the same from source to outcome. */
export interface WorkRequest<A extends readonly unknown[] = unknown[]> {
  /** Unique within the process (the seed's `requestID`). */
  readonly id: number;
  /** The arguments the task is called with. */
  readonly args: A;
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

/**
 * Builds one {@link WorkRequest} per item, with the seed's tuple rule: an item
 * that is an array is spread as the task's arguments, any other item is the
 * single argument.
 *
 * @example
 * ```ts
 * makeRequests([1, 2, 3]);          // fib(1), fib(2), fib(3)
 * makeRequests([[2, 10], [3, 4]]);  // pow(2, 10), pow(3, 4)
 * ```
 * @param argsList - One item per request.
 * @returns The requests, in order, each with a new unique id.
 */
export function makeRequests<const I>(argsList: Iterable<I>): WorkRequest<ArgsOf<I>>[] {
  if (argsList === null || typeof (argsList as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`makeRequests(argsList): argsList must be an iterable of argument items, got ${argsList === null ? 'null' : typeof argsList}.`);
  }
  const requests: WorkRequest<ArgsOf<I>>[] = [];
  for (const item of argsList) {
    requests.push(workRequest((Array.isArray(item) ? item : [item]) as ArgsOf<I>));
  }
  return requests;
}
