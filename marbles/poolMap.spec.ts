import { map, type Observable, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { makeRequests, type Outcome, workRequest } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';

const tasks = {
  double: (n: number): number => n * 2,
  add: (a: number, b: number): number => a + b,
  failIfOdd(n: number): number {
    if (n % 2 === 1) throw new RangeError(`odd ${n}`);
    return n;
  },
};

/** Outcomes as marble values: the result, or `E:` and the error's code. */
const show = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : `E:${(outcome.error as Error & { code: string }).code}`));

let testScheduler: TestScheduler;
beforeEach(() => {
  testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

const n = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };
const doubled = { a: 2, b: 4, c: 6, d: 8, e: 10, f: 12 };

describe('poolMap (marbles)', () => {
  test('runs at most as many requests at once as the pool has workers', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 3 });
      const source = cold('abcdef|', n);
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe('---ab-cd-e(f|)', doubled);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  test('with one worker it is concatMap-like', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      expectObservable(cold('abc|', n).pipe(poolMap(pool, 'double'), show)).toBe('--a-b-(c|)', doubled);
    });
  });

  test('createWorkers mid-stream: the running pipeline uses the new workers without resubscribing', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 5 });
      const source = cold('abcdef|', n);
      testScheduler.schedule(() => void pool.createWorkers(2), 6);
      // a runs 0-5 and b 5-10 on the first worker; at 6 two new workers take c and d (done at 11); e 10-15, f 11-16
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe('-----a----b(cd)e(f|)', doubled);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  test('dismissWorkers mid-stream: busy workers finish their request, nothing is lost, concurrency drops', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 3 });
      // at 2 both workers are busy (a 0-3, b 1-4): one finishes a, then retires
      testScheduler.schedule(() => void pool.dismissWorkers(1), 2);
      expectObservable(cold('abcde|', n).pipe(poolMap(pool, 'double'), show)).toBe('---ab--c--d--(e|)', doubled);
    });
  });

  test('with no workers requests wait until workers are created', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 0, duration: 1 });
      testScheduler.schedule(() => void pool.createWorkers(1), 5);
      expectObservable(cold('ab|', n).pipe(poolMap(pool, 'double'), show)).toBe('------a(b|)', doubled);
    });
  });

  test('a failing request yields an error outcome while results keep flowing, and the stream does not error', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      expectObservable(cold('abcd|', n).pipe(poolMap(pool, 'failIfOdd'), show)).toBe('-xby(d|)', {
        x: 'E:ERR_TASK_FAILED',
        b: 2,
        y: 'E:ERR_TASK_FAILED',
        d: 4,
      });
    });
  });

  test('completes on the frame of the last outcome, not when the source completes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 10 });
      expectObservable(cold('a|', n).pipe(poolMap(pool, 'double'), show)).toBe('----------(a|)', doubled);
    });
  });

  test('completes at once for an empty source', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1 });
      expectObservable(cold<number>('---|').pipe(poolMap(pool, 'double'))).toBe('---|');
    });
  });

  test('a source error is passed on at once', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 3 });
      expectObservable(cold('a-#', n, new Error('source')).pipe(poolMap(pool, 'double'), show)).toBe('--#', {}, new Error('source'));
    });
  });

  test('unsubscribing drops queued requests: they never start, and the pool is free for the next pipeline', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const calls: number[] = [];
      const recording = { double: (x: number) => (calls.push(x), x * 2) };
      const pool = createVirtualPool(recording, { scheduler: testScheduler, size: 1, duration: 3 });
      const source = cold('abcdef|', n);
      expectObservable(source.pipe(poolMap(pool, 'double'), show), '^---!').toBe('---a', doubled);
      expectSubscriptions(source.subscriptions).toBe('^---!');
      // subscribed at 4: b (started at 3) still holds the worker until 6, then a runs 6-9
      const later = cold('a|', { a: 10 });
      expectObservable(later.pipe(poolMap(pool, 'double'), show), '----^').toBe('---------(a|)', { a: 20 });
      testScheduler.schedule(() => {
        expect(pool.stats.queued).toBe(0);
      }, 4);
      testScheduler.flush();
      expect(calls).toEqual([1, 2, 10]);
    });
  });

  test('take(n) downstream stops the rest from running', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const calls: number[] = [];
      const recording = { double: (x: number) => (calls.push(x), x * 2) };
      const pool = createVirtualPool(recording, { scheduler: testScheduler, size: 2, duration: 2 });
      expectObservable(cold('abcdef|', n).pipe(poolMap(pool, 'double'), take(3), show)).toBe('--ab(c|)', doubled);
      testScheduler.flush();
      expect(calls).toEqual([1, 2, 3, 4]);
    });
  });

  test('each request yields exactly one outcome, with unique increasing ids for plain values', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: 1 });
      const ids: number[] = [];
      const out = cold('abcdef|', n).pipe(
        poolMap(pool, 'failIfOdd'),
        map(({ request }) => (ids.push(request.id), 'x')),
      );
      expectObservable(out).toBe('-xxxxx(x|)');
      testScheduler.flush();
      expect(ids).toHaveLength(6);
      expect(new Set(ids).size).toBe(6);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    });
  });

  test('WorkRequests keep their ids and spread their arguments', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 1 });
      const [p, q] = makeRequests([
        [1, 2],
        [3, 4],
      ] as [number, number][]);
      const outcomes: Observable<Outcome<[number, number], number>> = cold('pq|', { p, q }).pipe(poolMap(pool, 'add'));
      expectObservable(outcomes).toBe('-p(q|)', { p: { ok: true, request: p, value: 3 }, q: { ok: true, request: q, value: 7 } });
    });
  });

  test('two pipelines on one pool share its workers round-robin', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const bulk = cold('(abcd|)', n).pipe(poolMap(pool, 'double'), show);
      const live = cold('(ef|)', n).pipe(poolMap(pool, 'double'), show);
      // one worker, one frame a request: after a, the lanes take turns (b, e, c, f, d)
      expectObservable(bulk).toBe('-ab-c-(d|)', doubled);
      expectObservable(live).toBe('---e-(f|)', doubled);
    });
  });

  test('closing the pool mid-stream ends queued and running requests, and later ones, with ERR_POOL_CLOSED', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 3 });
      testScheduler.schedule(() => void pool.close(), 4);
      const closed = 'E:ERR_POOL_CLOSED';
      // a finishes at 3; at 4 b (running) and c (queued) end; d, emitted after the close, ends at once
      expectObservable(cold('abc-------d|', n).pipe(poolMap(pool, 'double'), show)).toBe('---a(bc)--d|', { a: 2, b: closed, c: closed, d: closed });
    });
  });

  test('a request object sent alone keeps its identity in its outcome', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const r = workRequest([21] as [number]);
      expectObservable(cold('r|', { r }).pipe(poolMap(pool, 'double'))).toBe('-(r|)', { r: { ok: true, request: r, value: 42 } });
    });
  });
});
