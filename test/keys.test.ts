// key (real workers): per-key order and affinity, keys in parallel, a hot key beside cold ones, crashes, resizing,
// idle retirement, keyReleased, and what the main thread keeps for 100,000 keys.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { from, map, tap } from 'rxjs';
import { Worker as ThreadsWorker } from 'threads';
import { createPool, type Outcome } from '../src';
import { RELEASE, releaseProblem, RUN } from '../src/messages';
import { batchProblem, encodeBatch, keysOf } from '../src/wire';
import { poolMap, pullFrom } from '../operators';
import type { KeyedTasks, Seen, Visit } from './fixtures/keyed.worker';
import { afterTimersDueWithin, closePools, collect, keyedPool, statsWhere, track } from './helpers';
import { byKey, expectKeyedOrder, visits } from './keyedChecks';

afterEach(closePools);

type VisitOutcome = Outcome<[Visit], Seen>;

/**
 * Per-key order on threads (see `expectKeyedOrder`), and the worker's state: each request saw the state its
 * key's previous request left on that worker, or fresh state (first time there, or released), never an older one.
 */
function expectOrderAndState(outcomes: readonly VisitOutcome[]): Map<string | number, Seen[]> {
  return expectKeyedOrder(outcomes, (key, before, after) => {
    if (after.previous !== undefined && after.previous !== before.seq)
      throw new Error(`key ${key}: request ${after.seq} saw stale state from request ${after.previous}, not ${before.seq}`);
    if (after.previous === before.seq && after.thread !== before.thread) throw new Error(`key ${key}: state travelled between threads`);
  });
}

describe('key: per-key order and affinity', () => {
  test('2 workers, 20 keys, varied task times: every key in order, one at a time, all on one worker', async () => {
    const pool = keyedPool({ size: 2 });
    const requests = visits(20, 15, (key, seq) => ({ busyMs: (key * 7 + seq * 3) % 4 }));
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'visit', { key: byKey })));
    expect(outcomes).toHaveLength(requests.length);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    const seen = expectOrderAndState(outcomes);
    for (const [, list] of seen) {
      expect(list.map((each) => each.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      // Affinity: no worker died, so each key stayed on its worker, and its state went on from request to request.
      expect(new Set(list.map((each) => each.thread)).size).toBe(1);
      expect(list.slice(1).every((each, i) => each.previous === list[i].seq)).toBe(true);
    }
    // Keys spread over both workers.
    expect(new Set([...seen.values()].map((list) => list[0].thread)).size).toBe(2);
  });

  test('different keys run in parallel: requests of two keys overlap in time on two workers', async () => {
    const pool = keyedPool({ size: 2 });
    await pool.ready;
    // Keys whose groups land on different workers: the first two keys placed go to different workers.
    const requests = [0, 1, 2, 3, 4, 5].flatMap((seq) => [
      { key: 'a', seq: seq + 1, sleepMs: 30 },
      { key: 'b', seq: seq + 1, sleepMs: 30 },
    ]);
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'visit', { key: byKey })));
    const seen = expectOrderAndState(outcomes);
    const [a, b] = [seen.get('a')!, seen.get('b')!];
    expect(a[0].thread).not.toBe(b[0].thread);
    const overlaps = a.some((x) => b.some((y) => x.start < y.end && y.start < x.end));
    // So the wall time was under the serial sum: requests of a and b ran side by side (sleeps: no CPU needed).
    expect(overlaps).toBe(true);
  });

  test('a hot key beside many cold keys: the cold keys are not held behind the hot key backlog', async () => {
    const pool = keyedPool({ size: 1 });
    await pool.ready;
    const hot = Array.from({ length: 2000 }, (_, i) => ({ key: 'hot', seq: i + 1 }));
    const cold = Array.from({ length: 50 }, (_, i) => ({ key: `cold${i}`, seq: 1 }));
    const outcomes = await collect(from([...hot, ...cold]).pipe(poolMap(pool, 'visit', { key: byKey, batch: 64 })));
    expectOrderAndState(outcomes);
    const order = outcomes.map((outcome) => (outcome.ok ? outcome.value.key : 'failed'));
    const lastCold = Math.max(...order.map((key, i) => (key !== 'hot' ? i : -1)));
    // All 50 cold keys went out in the batch after the first, beside an even share of the hot key: before
    // the hot key's 100th outcome, not after its 2000.
    expect(lastCold).toBeLessThan(150);
  });

  test('outcomes of a key come out in its order, and ordered: true still gives global order', async () => {
    const pool = keyedPool({ size: 2 });
    const requests = visits(5, 10, (key, seq) => ({ sleepMs: (key + seq) % 3 }));
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'visit', { key: byKey, ordered: true })));
    expect(outcomes.map((outcome) => outcome.request.args[0])).toEqual(requests);
    expectOrderAndState(outcomes);
  });

  test('this.key is the request key, and undefined in an unkeyed pipeline; numbers and strings are different keys', async () => {
    const pool = keyedPool({ size: 1 });
    const keyed = await collect(from([1, '1', 2]).pipe(poolMap(pool, 'keyOf', { key: (value: unknown) => value as string | number })));
    expect(keyed.map((outcome) => outcome.ok && outcome.value).sort()).toEqual([1, '1', 2].sort());
    const unkeyed = await collect(from([1]).pipe(poolMap(pool, 'keyOf')));
    expect(unkeyed[0]).toMatchObject({ ok: true, value: undefined });
  });

  test('a key function that throws or returns a non-key ends that request with CallbackError; the others run', async () => {
    const pool = keyedPool({ size: 1 });
    const key = (n: number): string | number => {
      if (n === 2) throw new Error('no key for 2');
      if (n === 3) return { n } as unknown as string;
      if (n === 4) return Number.NaN;
      return n;
    };
    const outcomes = await collect(from([1, 2, 3, 4, 5]).pipe(poolMap(pool, 'tiny', { key })));
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed.map((outcome) => outcome.request.args[0]).sort()).toEqual([2, 3, 4]);
    for (const outcome of failed) {
      expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_CALLBACK_FAILED', option: 'key', requestId: outcome.request.id });
      expect(!outcome.ok && outcome.error.message).toContain('"key" option');
    }
    expect(outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.ok && outcome.value)).toEqual([2, 6]);
  });
});

describe('key × crashes', () => {
  test('a crash mid-stream: only the culprit fails, every key keeps its order, no request sees stale state', async () => {
    const pool = keyedPool({ size: 2 });
    // Key k3's 5th request exits its worker, every time: it is the culprit. Its batch-mates, of k3 and of
    // other keys, are rerun alone and get their results; k3's later requests run after it.
    const requests = visits(8, 12, (key, seq) => ({ busyMs: seq % 2, crash: key === 3 && seq === 5 }));
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'visit', { key: byKey })));
    expect(outcomes).toHaveLength(requests.length);
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0].request.args[0]).toEqual({ key: 'k3', seq: 5, busyMs: 1, crash: true });
    expect(!failed[0].ok && failed[0].error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    const seen = expectOrderAndState(outcomes);
    // k3's requests after the culprit ran after its last run: they came out after its outcome.
    const k3 = outcomes.filter((outcome) => outcome.request.args[0].key === 'k3').map((outcome) => outcome.request.args[0].seq);
    expect(k3).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(seen.size).toBe(8);
  });
});

describe('key × resizing', () => {
  test('dismissWorkers and createWorkers mid-stream: keys move, nothing is lost, order holds, a live worker that lost a key was told first', async () => {
    const pool = keyedPool({ size: 2 });
    const requests = visits(40, 25, (key, seq) => ({ sleepMs: 1 + ((key + seq) % 3) }));
    const grownAt = 400;
    let count = 0;
    const resized: Promise<void>[] = [];
    const outcomes = await collect(
      from(requests).pipe(
        poolMap(pool, 'visit', { key: byKey }),
        tap(() => {
          count++;
          if (count === 200) resized.push(pool.dismissWorkers(1, { join: true }));
          if (count === grownAt) resized.push(pool.createWorkers(2));
        }),
      ),
    );
    await Promise.all(resized);
    expect(outcomes).toHaveLength(requests.length);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    const seen = expectOrderAndState(outcomes);
    const all = [...seen.values()].flat();
    const releases = all.flatMap((each) => each.released.map((release) => ({ ...release, thread: each.thread })));
    // The pool grew from 1 to 3 workers while keys had state on the survivor: keys moved off it, each released there.
    expect(releases.length).toBeGreaterThan(0);
    // The workers alive once the pool grew: those that still answered after it (the dismissed one had exited).
    const live = new Set(outcomes.slice(grownAt).map((outcome) => outcome.ok && outcome.value.thread));
    let movesOffLiveWorkers = 0;
    for (const [key, list] of seen) {
      for (let i = 1; i < list.length; i++) {
        const [from_, to] = [list[i - 1], list[i]];
        if (from_.thread === to.thread || !live.has(from_.thread)) continue;
        // The key left a worker that lived on: it was told, before the key ran elsewhere.
        movesOffLiveWorkers++;
        const release = releases.find((each) => each.thread === from_.thread && each.key === key && each.at >= from_.end);
        expect(release).toBeDefined();
        expect(release!.at).toBeLessThanOrEqual(to.start);
        // And its state did not travel: the new worker started it afresh.
        expect(to.previous).toBeUndefined();
      }
    }
    expect(movesOffLiveWorkers).toBeGreaterThan(0);
  });

  test('a worker retired after idleTimeout takes its keys with it: they run on a fresh worker, state fresh, order kept', async () => {
    const idleTimeout = 200;
    const pool = keyedPool({ size: 1, idleTimeout });
    const first = await collect(from(visits(10, 3)).pipe(poolMap(pool, 'visit', { key: byKey })));
    expectOrderAndState(first);
    const firstThread = (first[0].ok && first[0].value.thread) as number;
    await afterTimersDueWithin(idleTimeout);
    await statsWhere(pool, (stats) => stats.busy === 0, 'the worker to be idle');
    const second = await collect(from(visits(10, 3).map((visit) => ({ ...visit, seq: visit.seq + 3 }))).pipe(poolMap(pool, 'visit', { key: byKey })));
    expectOrderAndState(second);
    for (const outcome of second) {
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) continue;
      expect(outcome.value.thread).not.toBe(firstThread);
      if (outcome.value.seq === 4) expect(outcome.value.previous).toBeUndefined();
    }
  });
});

/** `count` numbers from `offset`, pulled one at a time. */
function* numbersFrom(offset: number, count: number): Generator<number> {
  for (let n = offset; n < offset + count; n++) yield n;
}

describe('key: memory', () => {
  test('100,000 distinct keys: what the main thread keeps afterwards does not grow with the keys seen', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const pool = keyedPool({ size: 2 });
    const run = (offset: number): Promise<unknown> =>
      collect(
        pullFrom(numbersFrom(offset, 100_000)).pipe(
          poolMap(pool, 'tiny', { key: (n: number) => `key-${n}` }),
          map((outcome) => outcome.ok),
        ),
      );
    await run(0);
    gc();
    const before = process.memoryUsage().heapUsed;
    await run(100_000);
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    // 100,000 more keys seen: the key lines are gone once their requests are out, and the group table is fixed.
    // (A key line a key kept would be hundreds of bytes: 100,000 of them tens of MB.)
    expect(growth).toBeLessThan(4 * 1024 * 1024);
    expect(pool.stats.queued).toBe(0);
  });
});

describe('key: the wire', () => {
  test("a batch carries each key once per run of its requests, and a receiver gets every request's key back", () => {
    const jobs = [
      { task: 't', args: [1], key: 'a' },
      { task: 't', args: [2], key: 'a' },
      { task: 't', args: [3], key: 7 },
      { task: 't', args: [4], key: 'a' },
    ];
    const batch = encodeBatch(jobs);
    expect(batch).toMatchObject({ keys: ['a', 7, 'a'], keyRuns: [2, 1, 1] });
    expect(batchProblem(batch)).toBeUndefined();
    expect(keysOf(batch)).toEqual(['a', 'a', 7, 'a']);
    expect(encodeBatch([{ task: 't', args: [1] }])).not.toHaveProperty('keys');
  });

  test('malformed keys in a batch are refused, naming what is wrong', () => {
    const base = { tasks: 't', args: [1, 2], spread: false };
    expect(batchProblem({ ...base, keys: ['a'] })).toMatch(/keyRuns must be an array/);
    expect(batchProblem({ ...base, keys: ['a'], keyRuns: [1] })).toMatch(/fewer requests than the 2/);
    expect(batchProblem({ ...base, keys: ['a'], keyRuns: [3] })).toMatch(/more requests than the 2/);
    expect(batchProblem({ ...base, keys: ['a', 'b'], keyRuns: [2, 0] })).toMatch(/keyRuns\[1\] must be a count/);
    expect(batchProblem({ ...base, keys: [{}], keyRuns: [2] })).toMatch(/keys\[0\] must be a string or a finite number/);
    expect(batchProblem({ ...base, keys: [Number.NaN], keyRuns: [2] })).toMatch(/keys\[0\] must be a string or a finite number/);
    expect(releaseProblem({ id: 1, groups: [0, 4095] })).toBeUndefined();
    expect(releaseProblem({ id: 1, groups: [4096] })).toMatch(/groups\[0\] must be a key group/);
    expect(releaseProblem({ id: 'x', groups: [] })).toMatch(/id must be an integer/);
  });

  test('a forged keyed run message or release message is refused by the worker, which stays up and serves the pool', async () => {
    let worker: ThreadsWorker | undefined;
    const pool = track(
      createPool<KeyedTasks>(
        () => {
          worker = new ThreadsWorker('./fixtures/keyed.worker.ts');
          return worker;
        },
        { size: 1 },
      ),
    );
    const [before] = await collect(from([{ key: 'k', seq: 1 }]).pipe(poolMap(pool, 'visit', { key: byKey })));
    const errors: unknown[] = [];
    (worker as unknown as NodeJS.EventEmitter).on('error', (error: unknown) => errors.push(error));
    worker?.postMessage({ type: RUN, batch: 99_999, tasks: 'tiny', args: [1, 2], spread: false, keys: ['k'], keyRuns: [5] });
    worker?.postMessage({ type: RELEASE, id: 99_999, groups: ['all of them'] });
    const [after] = await collect(from([{ key: 'k', seq: 2 }]).pipe(poolMap(pool, 'visit', { key: byKey })));
    expect(errors).toEqual([]);
    // The same thread, with its state for the key: the forged release released nothing.
    expect(after.ok && after.value).toMatchObject({ thread: before.ok && before.value.thread, previous: 1 });
  });
});
