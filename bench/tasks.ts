/**
 * The work every system runs in the benchmark: the same three functions, in
 * every pool's own worker format (see workers/), `countKey`, the keyed
 * tiny workload's task (workers/*.keyed.worker.ts), and what the keyed stream
 * workload needs beside the sessions example's data and operator
 * (examples/sessions/sessionize.ts).
 */
import type { ClickEvent, UserSession } from '../examples/sessions/sessionize';

/** The tiny workload: a request costs almost nothing, so dispatch is all that is measured. */
export function inc(x: number): number {
  return x + 1;
}

/** The cpu workload: a fixed amount of arithmetic (calibrated to about 20 ms). */
export function burn(iterations: number): number {
  let acc = 0;
  for (let i = 0; i < iterations; i++) acc = (acc + Math.sqrt(i) * 1.000001) % 1_000_003;
  return acc;
}

/** The payload workload: sums a Float64Array. */
export function sum(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

/** A message for the peers that take one argument: which function, and its argument. */
export interface Call {
  readonly op: 'inc' | 'burn' | 'sum';
  readonly x: number | Float64Array;
}

/** Runs a {@link Call}. */
export function dispatch(call: Call): number {
  switch (call.op) {
    case 'inc':
      return inc(call.x as number);
    case 'burn':
      return burn(call.x as number);
    case 'sum':
      return sum(call.x as Float64Array);
  }
}

/** A key of the keyed tiny workload (what poolMap's `key` option accepts). */
export type Key = string | number;

/** How many keys the keyed tiny workload's requests are spread over. */
export const KEYS = 1000;

/**
 * A request of the keyed tiny workload: one number, as tiny as `tiny`'s, `i * KEYS + key`: its place
 * in the run (`i`) and its key (0 to {@link KEYS} − 1).
 */
export type KeyedRequest = number;

/** A keyed tiny request of place `i` and key `key`. */
export const keyedRequest = (i: number, key: number): KeyedRequest => i * KEYS + key;

/** The key of a keyed tiny request. */
export const keyOf = (request: KeyedRequest): number => request % KEYS;

/** The place of a keyed tiny request in its run. */
export const placeOf = (request: KeyedRequest): number => Math.floor(request / KEYS);

/**
 * The keyed tiny workload's task: as cheap as `inc`, but it keeps state per key in its worker
 * (`counts`, a Map of the worker module) and returns it: the number of requests of `key` this
 * worker has run, itself included. The k-th request of a key gets k only when every request of
 * the key ran on the same worker, in arrival order.
 */
export function countKey(counts: Map<Key, number>, key: Key): number {
  const count = (counts.get(key) ?? 0) + 1;
  counts.set(key, count);
  return count;
}

/** How many users the keyed stream workload's clicks are spread over (uniformly: skew 0). */
export const SESSION_USERS = 10_000;

/**
 * A task of the hand-routed piscina's keyed stream worker (workers/piscina.sessions.worker.ts): the
 * next clicks routed to that worker, or the flush.
 */
export interface SessionBatch {
  /** Its place among the batches sent to the worker since its last flush (0, 1, 2, …): the worker checks it, so a batch run out of order fails loudly. */
  readonly seq: number;
  /** The clicks, in stream order; `null` to flush: every user's input completes, and the sessions still open come out. */
  readonly clicks: readonly ClickEvent[] | null;
}

/** A session as one line, every field of it: the sessions of two runs are the same multiset when their sorted lines are equal. */
export const sessionLine = (session: UserSession): string =>
  `${session.user}:${session.start}:${session.end}:${session.clicks}:${session.dwellMs}:${session.pages}`;
