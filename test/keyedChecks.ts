/**
 * What the keyed suites (test/keys.test.ts on threads, test/bullmq.keys.test.ts on a queue) share: a keyed
 * request stream, and the check of what per-key order promises on the outcomes it gave.
 */
import type { Key, Outcome } from '../src';
import type { Visit } from './fixtures/keyed.worker';

/** A request's key, for `poolMap`'s `key` option. */
export const byKey = (visit: Visit): Key => visit.key;

/** What a keyed task reports of one request: its key as the task saw it, its number within its key, when it ran. */
export interface Ran {
  readonly key: Key | undefined;
  readonly seq: number;
  /** When it started and ended (ms since the epoch, fractional). */
  readonly start: number;
  readonly end: number;
}

/** `perKey` requests for each of `keys` keys, interleaved irregularly (a fixed shuffle from `seed`), numbered per key from 1. */
export function visits(keys: number, perKey: number, extra: (key: number, seq: number) => Partial<Visit> = () => ({}), seed = 12345): Visit[] {
  const out: Visit[] = [];
  const next = new Array<number>(keys).fill(0);
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const left = Array.from({ length: keys }, (_, key) => key);
  while (left.length > 0) {
    const at = Math.floor(random() * left.length);
    const key = left[at];
    const seq = ++next[key];
    out.push({ key: `k${key}`, seq, ...extra(key, seq) });
    if (seq === perKey) left.splice(at, 1);
  }
  return out;
}

/**
 * Per-key order, checked on the outcomes as emitted: each task saw its request's key and number; each key's
 * outcomes come out in its order; its requests ran one at a time (each started after the one before had
 * ended); and `more` holds between each two consecutive requests of a key. Returns each key's reports, in order.
 */
export function expectKeyedOrder<R extends Ran>(outcomes: readonly Outcome<[Visit], R>[], more?: (key: Key, before: R, after: R) => void): Map<Key, R[]> {
  const byKeySeen = new Map<Key, R[]>();
  for (const outcome of outcomes) {
    if (!outcome.ok) continue;
    const ran = outcome.value;
    expect(ran.key).toBe(outcome.request.args[0].key);
    expect(ran.seq).toBe(outcome.request.args[0].seq);
    const list = byKeySeen.get(ran.key!) ?? [];
    list.push(ran);
    byKeySeen.set(ran.key!, list);
  }
  for (const [key, list] of byKeySeen) {
    for (let i = 1; i < list.length; i++) {
      const [before, after] = [list[i - 1], list[i]];
      if (after.seq <= before.seq) throw new Error(`key ${key}: outcome of request ${after.seq} came out after ${before.seq}`);
      if (after.start < before.end)
        throw new Error(`key ${key}: request ${after.seq} started ${(before.end - after.start).toFixed(2)} ms before ${before.seq} had ended`);
      more?.(key, before, after);
    }
  }
  return byKeySeen;
}
