// Concurrency (marbles): at most as many requests at once as the pool has workers, as mergeMap with concurrent.
import { concatMap, delay, map, mergeMap, of, timer } from 'rxjs';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { double, doubled, n, openPool, poolMapTasks, sameAsMergeMap, show, testScheduler, useVirtualTime, viaPool, watchStats } from './specHelpers';

useVirtualTime();
const tasks = poolMapTasks;

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

describe('mergeMap contract: concurrency', () => {
  test('size 1 runs one request at a time, like concatMap (and mergeMap with concurrent 1)', () => {
    testScheduler.run((helpers) => {
      const { hot, expectObservable } = helpers;
      const { started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 4,
        source: () => hot('-a--b--c---|            ', n),
        expected: '        -----a---b---(c|)',
        values: doubled,
        subs: '            ^----------!            ',
      });
      // and concatMap of the same inners gives the same marble
      expectObservable(hot('-a--b--c---|', n).pipe(concatMap((x) => timer(4).pipe(map(() => double(x)))))).toBe('-----a---b---(c|)', doubled);
      helpers.flush();
      expect(started).toEqual([1, 2, 3]);
      expect(started).toEqual(referenceStarted);
    });
  });

  test('size 2 runs two requests at once; a third waits for the first free worker', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 2,
        duration: 4,
        source: () => helpers.hot('-a--b--c---|  ', n),
        // a 1-5, b 4-8; c arrives at 7, a's worker has been free since 5: c 7-11
        expected: '                -----a--b--(c|)',
        values: doubled,
        subs: '                    ^----------!  ',
      });
    });
  });

  test('size 2 over a burst: outcomes arrive in pairs', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 2,
        duration: 4,
        source: () => helpers.cold('(abcde|)        ', n),
        expected: '                 ----(ab)(cd)(e|)',
        values: doubled,
        subs: '                     (^!)            ',
      });
    });
  });

  test('size 3 over a burst: outcomes arrive in threes', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 3,
        duration: 5,
        source: () => helpers.cold('(abcdefg|)         ', n),
        expected: '                 -----(abc)(def)(g|)',
        values: doubled,
        subs: '                     (^!)               ',
      });
    });
  });

  test('size 3 with durations that differ: outcomes come as requests finish, out of order, and a freed worker takes the next one', () => {
    testScheduler.run((helpers) => {
      const values = { a: 7, b: 1, c: 3, d: 2 };
      sameAsMergeMap(helpers, {
        size: 3,
        duration: (x) => x,
        source: () => helpers.cold('(abcd|)    ', values),
        // a 0-7, b 0-1, c 0-3; d starts on b's worker at 1 and ends at 3, after c
        expected: '                 -b-(cd)(a|)',
        values: { a: 14, b: 2, c: 6, d: 4 },
        subs: '                     (^!)       ',
      });
    });
  });

  test('a running pipeline follows createWorkers and dismissWorkers without resubscribing', () => {
    // No mergeMap counterpart: its concurrency is fixed when it is subscribed. The expectation is
    // mergeMap(…, 1) until frame 2, mergeMap(…, 2) from 2, and one worker again once e's worker retires.
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const { pool, started } = openPool(1, 4);
      testScheduler.schedule(() => void pool.createWorkers(1), 2);
      testScheduler.schedule(() => void pool.dismissWorkers(1), 9);
      const source = cold('abcdefgh|                 ', n);
      // W1: a 0-4, c 4-8, e 8-12 (dismissed at 9 while running e: retires after it)
      // W2 (from 2): b 2-6, d 6-10, f 10-14, g 14-18, h 18-22
      const expected = '   ----a-b-c-d-e-f---g---(h|)';
      expectObservable(source.pipe(viaPool(pool))).toBe(expected, doubled);
      expectSubscriptions(source.subscriptions).toBe('^-------!');
      flush();
      expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(pool.stats).toMatchObject({ workers: 1, busy: 0, queued: 0, pipelines: [] });
    });
  });
});
