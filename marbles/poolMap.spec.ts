import { delay, map, mergeMap, type Observable, of, take, tap } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { makeRequests, type Outcome, type PoolStats, workRequest } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = {
  double: (x: number): number => x * 2,
  add: (a: number, b: number): number => a + b,
  failIfOdd(x: number): number {
    if (x % 2 === 1) throw new RangeError(`odd ${x}`);
    return x;
  },
};

/** A task map whose `double` records each call it runs. */
function recording(): { calls: number[]; tasks: { double: (x: number) => number } } {
  const calls: number[] = [];
  return { calls, tasks: { double: (x: number) => (calls.push(x), x * 2) } };
}

type AnyOutcome = Outcome<readonly unknown[], unknown>;
const codeOf = (outcome: AnyOutcome): string => (outcome.ok ? '' : String((outcome.error as Error & { code?: unknown }).code));

/** Outcomes as marble values: the result, or `E:` and the error's code. */
const show = map((outcome: AnyOutcome) => (outcome.ok ? outcome.value : `E:${codeOf(outcome)}`));

/** Outcomes as marble values that also name the request: `1=2` (argument 1 gave 2) or `3!ERR_…`. */
const label = map((outcome: AnyOutcome) => (outcome.ok ? `${outcome.request.args[0]}=${outcome.value}` : `${outcome.request.args[0]}!${codeOf(outcome)}`));

/** Records the stats the pool publishes. */
function watchStats(stats$: Observable<PoolStats>): PoolStats[] {
  const seen: PoolStats[] = [];
  stats$.subscribe((stats) => seen.push(stats));
  return seen;
}

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

const n = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };
const doubled = { a: 2, b: 4, c: 6, d: 8, e: 10, f: 12 };

describe('poolMap: concurrency', () => {
  test('runs at most as many requests at once as the pool has workers: outcomes arrive in waves, like mergeMap with concurrent', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 4 });
      const stats = watchStats(pool.stats$);
      const source = cold('(abcdef|)        ', n);
      const expected = '   ----(ab)(cd)(ef|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
      // the same marble as mergeMap limited to 2 inner observables of 4 frames each
      expectObservable(source.pipe(mergeMap((x) => of(x * 2).pipe(delay(4)), 2))).toBe(expected, doubled);
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '(^!)']);
      testScheduler.flush();
      expect(Math.max(...stats.map((s) => s.busy))).toBe(2);
      expect(Math.max(...stats.map((s) => s.queued))).toBe(4);
    });
  });

  test('with one worker it runs one request at a time, like concatMap', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      const source = cold('(abc|)   ', n);
      const expected = '   --a-b-(c|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
      expectObservable(source.pipe(mergeMap((x) => of(x * 2).pipe(delay(2)), 1))).toBe(expected, doubled);
    });
  });
});

describe('poolMap: resizing mid-stream', () => {
  test('createWorkers mid-stream: the running pipeline uses the new worker at once, without resubscribing', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 4 });
      testScheduler.schedule(() => void pool.createWorkers(1), 2);
      const source = cold('abcdef|            ', n);
      // a 0-4 on the first worker; at 2 the new worker takes b (2-6); then c 4-8, d 6-10, e 8-12, f 10-14
      const expected = '   ----a-b-c-d-e-(f|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  test('createWorkers on a pool of no workers starts the waiting requests', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 0, duration: 1 });
      const grow = cold('-----x|').pipe(tap(() => void pool.createWorkers(1)));
      expectObservable(grow).toBe('-----x|', { x: 'x' });
      const source = cold('ab|      ', n);
      const expected = '   ------a(b|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  test('dismissWorkers mid-stream lowers concurrency: busy workers finish their request first and no request is lost', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: 6 });
      // at 2 all three workers are busy (a, b, c): two of them finish, then retire
      const shrink = cold('--x|').pipe(tap(() => void pool.dismissWorkers(2)));
      expectObservable(shrink).toBe('--x|', { x: 'x' });
      const source = cold('(abcdef|)                  ', n);
      // without the dismissal: ------(abc)-(def|)
      const expected = '   ------(abc)-d-----e-----(f|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
      expectSubscriptions(source.subscriptions).toBe('(^!)');
      testScheduler.schedule(() => expect(pool.stats).toMatchObject({ workers: 1, busy: 1, queued: 2, completed: 3, failed: 0 }), 7);
      testScheduler.flush();
      expect(pool.stats).toMatchObject({ workers: 1, busy: 0, queued: 0, completed: 6, failed: 0 });
    });
  });
});

describe('poolMap: failures and completion', () => {
  test('a failing request yields an ERR_TASK_FAILED outcome keeping the thrown error, while results keep flowing', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const source = cold('abcd|  ', n);
      const expected = '   -abc(d|)';
      const out = source.pipe(
        poolMap(pool, 'failIfOdd'),
        map((o) => (o.ok ? o.value : `${codeOf(o)} ${(o.error.cause as Error).name}: ${(o.error.cause as Error).message}`)),
      );
      expectObservable(out).toBe(expected, { a: 'ERR_TASK_FAILED RangeError: odd 1', b: 2, c: 'ERR_TASK_FAILED RangeError: odd 3', d: 4 });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  test('the stream never errors because of failing requests, even when every request fails', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 4 });
      const source = cold('(ace|)      ', n);
      const expected = '   ----(xy)(z|)';
      const failed = 'E:ERR_TASK_FAILED';
      expectObservable(source.pipe(poolMap(pool, 'failIfOdd'), show)).toBe(expected, { x: failed, y: failed, z: failed });
    });
  });

  test('completes on the frame of the last outcome, not when the source completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 10 });
      const source = cold('a|            ', n);
      const expected = '   ----------(a|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  test('completes with the slowest request when outcomes come back out of order', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: (_task, args) => args[0] as number });
      const source = cold('(ebc|)     ', n);
      const expected = '   --bc-(e|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
    });
  });

  test('completes at once when the source completes with nothing pending', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1 });
      const source = cold<number>('---|');
      expectObservable(source.pipe(poolMap(pool, 'double'))).toBe('---|');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  test('a source error is passed on at once and drops the queued requests', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks: recorded } = recording();
      const pool = createVirtualPool(recorded, { scheduler: testScheduler, size: 1, duration: 5 });
      const boom = new Error('source failed');
      const source = cold('ab#', n, boom);
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe('--#', {}, boom);
      expectSubscriptions(source.subscriptions).toBe('^-!');
      testScheduler.flush();
      expect(calls).toEqual([1]);
      expect(pool.stats.queued).toBe(0);
    });
  });
});

describe('poolMap: unsubscription', () => {
  test('unsubscribing drops queued requests (they never start) and frees the pool for the next pipeline', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks: recorded } = recording();
      const pool = createVirtualPool(recorded, { scheduler: testScheduler, size: 1, duration: 3 });
      const queued: number[] = [];
      // scheduled first, so these run before anything else on their frame
      testScheduler.schedule(() => void queued.push(pool.stats.queued), 4);
      testScheduler.schedule(() => void queued.push(pool.stats.queued), 5);
      const source = cold('abcdef|', n);
      const sub = '        ^---!  ';
      // a 0-3; b starts at 3 and still runs when we leave at 4; c and d were queued
      expectObservable(source.pipe(poolMap(pool, 'double'), show), sub).toBe('---a', doubled);
      expectSubscriptions(source.subscriptions).toBe(sub);
      // the next pipeline, from 5: the worker is free once b is done (6)
      const next = cold('     x|     ', { x: 10 });
      expectObservable(next.pipe(poolMap(pool, 'double'), show), '-----^').toBe('---------(x|)', { x: 20 });
      expectSubscriptions(next.subscriptions).toBe('-----^!');
      testScheduler.flush();
      expect(queued).toEqual([2, 0]);
      expect(calls).toEqual([1, 2, 10]);
      expect(pool.stats).toMatchObject({ workers: 1, busy: 0, queued: 0, completed: 3, failed: 0 });
    });
  });

  test('take(n) downstream unsubscribes and the remaining requests never run', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks: recorded } = recording();
      const pool = createVirtualPool(recorded, { scheduler: testScheduler, size: 2, duration: 2 });
      const source = cold('abcdef|', n);
      expectObservable(source.pipe(poolMap(pool, 'double'), take(3), show)).toBe('--ab(c|)', doubled);
      expectSubscriptions(source.subscriptions).toBe('^---!');
      testScheduler.flush();
      // d was already running when c arrived; e was queued and dropped
      expect(calls).toEqual([1, 2, 3, 4]);
      expect(pool.stats.queued).toBe(0);
    });
  });
});

describe('poolMap: requests', () => {
  test('each request yields exactly one outcome, and plain values get unique increasing request ids', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: (_task, args) => 7 - (args[0] as number) });
      const idOf = new Map<number, number>();
      const out = cold('(abcdef|)', n).pipe(
        poolMap(pool, 'failIfOdd'),
        tap(({ request }) => idOf.set(request.args[0], request.id)),
        map(({ request }) => request.args[0]),
      );
      // value x takes 7 - x frames: a, b, c run first and end at 6, 5, 4; then d, e, f all end at 7
      expectObservable(out).toBe('----cba(def|)', n);
      testScheduler.flush();
      const ids = [1, 2, 3, 4, 5, 6].map((x) => idOf.get(x) as number);
      expect(new Set(ids).size).toBe(6);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    });
  });

  test('WorkRequests from makeRequests keep their ids and spread their arguments', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 1 });
      const [p, q, r] = makeRequests([
        [1, 2],
        [3, 4],
        [10, 20],
      ] as [number, number][]);
      const outcomes: Observable<Outcome<[number, number], number>> = cold('pqr|', { p, q, r }).pipe(poolMap(pool, 'add'));
      expectObservable(outcomes).toBe('-pq(r|)', {
        p: { ok: true, request: p, value: 3 },
        q: { ok: true, request: q, value: 7 },
        r: { ok: true, request: r, value: 30 },
      });
    });
  });

  test('plain values and WorkRequests mix in one stream: a request keeps its identity, a value gets a new request', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const r = workRequest([21] as [number]);
      const out = cold('rx|', { r, x: 4 }).pipe(
        poolMap(pool, 'double'),
        map((o) => (o.request === r ? `r:${o.ok && o.value}` : `new:${o.request.args[0]}:${o.ok && o.value}:${o.request.id > r.id}`)),
      );
      expectObservable(out).toBe('-r(x|)', { r: 'r:42', x: 'new:4:8:true' });
    });
  });
});

describe('poolMap: pipelines sharing a pool', () => {
  test('two pipelines on one pool are served round-robin', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const bulkSource = cold('(abcd|)', n);
      const liveSource = cold('(ef|)  ', n);
      // one worker, one frame a request: after a, the pipelines take turns (b, e, c, f, d)
      expectObservable(bulkSource.pipe(poolMap(pool, 'double'), show)).toBe('-ab-c-(d|)', doubled);
      expectObservable(liveSource.pipe(poolMap(pool, 'double'), show)).toBe('---e-(f|) ', doubled);
      expectSubscriptions(bulkSource.subscriptions).toBe('(^!)');
      expectSubscriptions(liveSource.subscriptions).toBe('(^!)');
    });
  });

  test('a pipeline that subscribes late is served on its turn, not after the backlog of another', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      const late = cold('(x|)', { x: 50 });
      // a runs 0-2 and b 2-4; x, queued at 1 behind b..f, runs 4-6 instead of after f
      expectObservable(cold('(abcdef|)', n).pipe(poolMap(pool, 'double'), show)).toBe('--a-b---c-d-e-(f|)', doubled);
      expectObservable(late.pipe(poolMap(pool, 'double'), show), '-^').toBe('------(x|)        ', { x: 100 });
      expectSubscriptions(late.subscriptions).toBe('-(^!)');
    });
  });

  test("two pipelines share the pool's capacity: together they never run more requests than it has workers", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 2 });
      const stats = watchStats(pool.stats$);
      expectObservable(cold('(ab|)', n).pipe(poolMap(pool, 'double'), show)).toBe('--(ab|)   ', doubled);
      expectObservable(cold('(cd|)', n).pipe(poolMap(pool, 'double'), show)).toBe('----(cd|)', doubled);
      testScheduler.flush();
      expect(Math.max(...stats.map((s) => s.busy))).toBe(2);
      expect(stats[stats.length - 1]).toMatchObject({ workers: 2, busy: 0, queued: 0, completed: 4, failed: 0 });
    });
  });
});

describe('poolMap: closing the pool', () => {
  test('close() mid-stream ends queued, running and later requests with ERR_POOL_CLOSED, and completes after the source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks: recorded } = recording();
      const pool = createVirtualPool(recorded, { scheduler: testScheduler, size: 1, duration: 3 });
      testScheduler.schedule(() => void pool.close(), 4);
      const source = cold('abc-------d|', n);
      // a is done at 3; at 4 c (queued) and b (running) end; d, made after the close, ends at once
      const expected = '   ---a(cb)--d|';
      expectObservable(source.pipe(poolMap(pool, 'double'), label)).toBe(expected, {
        a: '1=2',
        b: '2!ERR_POOL_CLOSED',
        c: '3!ERR_POOL_CLOSED',
        d: '4!ERR_POOL_CLOSED',
      });
      expectSubscriptions(source.subscriptions).toBe('^----------!');
      testScheduler.flush();
      expect(calls).toEqual([1, 2]);
      expect(pool.stats).toMatchObject({ workers: 0, busy: 0, queued: 0, completed: 1, failed: 3 });
    });
  });
});
