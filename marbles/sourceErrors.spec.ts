// Source errors (marbles): a source error errors the stream at once, as under mergeMap; a task's failure does not.
import { catchError, concat, map, mergeMap, of, throwError, timer } from 'rxjs';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { doubled, failIfOdd, n, openPool, recording, sameAsMergeMap, show, testScheduler, useVirtualTime, viaPool } from './specHelpers';

useVirtualTime();

describe('poolMap: source errors', () => {
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

describe('mergeMap contract: source errors', () => {
  test('a just-throw source errors at once', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () => helpers.cold<number>('#'),
        expected: '                         #',
        subs: '                             (^!)',
      });
    });
  });

  test('a source error is passed on at once: the running request’s outcome never arrives, the queued one never starts', () => {
    testScheduler.run((helpers) => {
      const boom = new Error('source failed');
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 5,
        source: () => helpers.cold('ab#', n, boom),
        expected: '                 --#',
        error: boom,
        subs: '                     ^-!',
      });
      // poolMap (cancel 'abandon') lets a finish on its worker and drops its outcome; mergeMap disposes of
      // a's timer at once. Either way nothing of a or b reaches the output.
      const busy: number[] = [];
      testScheduler.schedule(() => void busy.push(pool.stats.busy), 3);
      testScheduler.schedule(() => void busy.push(pool.stats.busy), 6);
      helpers.flush();
      expect(started).toEqual([1]);
      expect(started).toEqual(referenceStarted);
      expect(busy).toEqual([1, 0]);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('a synchronous source that emits and then errors: the error comes out at once, only the first request started', () => {
    testScheduler.run((helpers) => {
      const boom = new Error('source failed');
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () =>
          concat(
            of(1, 2),
            throwError(() => boom),
          ),
        expected: '#',
        error: boom,
      });
      helpers.flush();
      expect(started).toEqual([1]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('a source error after some outcomes keeps them and errors on its frame', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 2,
        source: () => helpers.cold('a-b---#', n),
        expected: '                 --a-b-#',
        values: doubled,
        subs: '                     ^-----!',
      });
    });
  });

  test('a request whose task throws yields a failure outcome and the stream goes on (mergeMap: the inner error errors the stream)', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { pool } = openPool(1, 1);
      const failed = 'E:ERR_TASK_FAILED';
      const values = { a: failed, b: 2, c: failed };
      const source = cold('abc|   ', n);
      const expected = '   -ab(c|)';
      expectObservable(source.pipe(viaPool(pool, 'failIfOdd'))).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
      // poolMap's pipeline is mergeMap with the inner's error caught into a value …
      const caught = cold('abc|', n).pipe(
        mergeMap(
          (x) =>
            timer(1).pipe(
              map(() => failIfOdd(x)),
              catchError(() => of(failed)),
            ),
          1,
        ),
      );
      expectObservable(caught).toBe(expected, values);
      // … while a plain mergeMap errors the whole stream at the first throwing inner
      const plain = cold('abc|', n).pipe(mergeMap((x) => timer(1).pipe(map(() => failIfOdd(x))), 1));
      expectObservable(plain).toBe('-#', undefined, new RangeError('odd 1'));
    });
  });
});
