// Composition (marbles): poolMap inside take, takeUntil, switchMap, share, retry and catchError, as mergeMap would be.
import { catchError, of, retry, share, switchMap, take, takeUntil } from 'rxjs';
import { doubled, n, openPool, reference, sameAsMergeMap, testScheduler, useVirtualTime, viaPool } from './specHelpers';

useVirtualTime();

describe('mergeMap contract: operators around it', () => {
  test('take(2) over a hot source', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 2,
        duration: 3,
        source: () => helpers.hot('-a-b-c-d-|', n),
        around: (stage) => (source) => source.pipe(stage, take(2)),
        expected: '                ----a-(b|)',
        values: doubled,
        subs: '                    ^-----!   ',
      });
    });
  });

  test('takeUntil: the notifier unsubscribes the source and drops the running request', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 2,
        duration: 3,
        source: () => helpers.hot('-a-b-c---d-|', n),
        around: (stage) => (source) => source.pipe(stage, takeUntil(helpers.cold('-------x'))),
        // c runs 5-8 when the notifier fires at 7; d never comes in
        expected: '                ----a-b|    ',
        values: doubled,
        subs: '                    ^------!    ',
      });
      helpers.flush();
      expect(started).toEqual([1, 2, 3]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('switchMap whose inner is a poolMap pipeline: switching cancels the previous inner', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions, flush }) => {
      const { pool, started } = openPool(2, 3);
      const referenceStarted: number[] = [];
      const outer = '    -x-----y---------|';
      const innerValues = { a: 1, b: 2, c: 3 };
      const viaPoolInner = cold('a-b-c|', innerValues);
      const referenceInner = cold('a-b-c|', innerValues);
      // inner x: a 1-4, b 3-6, c 5-8 (cut off at 7); inner y: a 7-10, b 9-12, c 11-14
      const expected = '   ----a-b---a-b-c--|';
      const innerSubs = ['-^----!            ', '-------^----!      '];
      const values = { a: 2, b: 4, c: 6 };
      const viaPoolOuter = hot(outer);
      const referenceOuter = hot(outer);
      expectObservable(viaPoolOuter.pipe(switchMap(() => viaPoolInner.pipe(viaPool(pool))))).toBe(expected, values);
      expectObservable(referenceOuter.pipe(switchMap(() => referenceInner.pipe(reference(2, 3, referenceStarted))))).toBe(expected, values);
      expectSubscriptions(viaPoolInner.subscriptions).toBe(innerSubs);
      expectSubscriptions(referenceInner.subscriptions).toBe(innerSubs);
      expectSubscriptions(viaPoolOuter.subscriptions).toBe('^----------------!');
      expectSubscriptions(referenceOuter.subscriptions).toBe('^----------------!');
      flush();
      expect(started).toEqual([1, 2, 3, 1, 2, 3]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test("switchMap over one worker with cancel: 'terminate': the new inner starts at once, as with mergeMap", () => {
    testScheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { pool } = openPool(1, 3);
      const outer = '    -x------y---------|';
      const innerValues = { a: 1, b: 2, c: 3 };
      // inner x: a 1-4, b 4-7, c 7-10 (terminated at 8); inner y: a 8-11, b 11-14, c 14-17
      const expected = '   ----a--b---a--b--c|';
      const values = { a: 2, b: 4, c: 6 };
      expectObservable(hot(outer).pipe(switchMap(() => cold('a-b-c|', innerValues).pipe(viaPool(pool, 'double', { cancel: 'terminate' }))))).toBe(
        expected,
        values,
      );
      expectObservable(hot(outer).pipe(switchMap(() => cold('a-b-c|', innerValues).pipe(reference(1, 3))))).toBe(expected, values);
      flush();
      expect(pool.stats).toMatchObject({ workers: 1, queued: 0, busy: 0, pipelines: [] });
    });
  });

  test("switchMap over one worker with cancel: 'abandon' (the default): the abandoned request keeps the worker until it ends", () => {
    // Deliberately unlike mergeMap, whose cut-off inner is disposed of at once (there the new inner's a
    // would run 8-11: ----a--b---a--b--c|). An abandoned request still runs to its end on its worker.
    testScheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { pool, started } = openPool(1, 3);
      const innerValues = { a: 1, b: 2, c: 3 };
      const outer = hot('-x------y---------|     ');
      // inner x: a 1-4, b 4-7, c 7-10 (abandoned at 8); inner y: a 10-13, b 13-16, c 16-19
      const expected = '   ----a--b-----a--b--(c|)';
      expectObservable(outer.pipe(switchMap(() => cold('a-b-c|', innerValues).pipe(viaPool(pool))))).toBe(expected, { a: 2, b: 4, c: 6 });
      flush();
      expect(started).toEqual([1, 2, 3, 1, 2, 3]);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('share: two subscribers, one pipeline, one source subscription; the late one sees the later outcomes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const { pool, started } = openPool(2, 3);
      const referenceStarted: number[] = [];
      const viaPoolSource = cold('a-b-c|   ', n);
      const referenceSource = cold('a-b-c|   ', n);
      const viaPoolShared = viaPoolSource.pipe(viaPool(pool), share());
      const referenceShared = referenceSource.pipe(reference(2, 3, referenceStarted), share());
      // a 0-3, b 2-5, c 4-7
      const first = '             ---a-b-(c|)';
      const second = '            -----b-(c|)';
      const late = '              ----^      ';
      expectObservable(viaPoolShared).toBe(first, doubled);
      expectObservable(viaPoolShared, late).toBe(second, doubled);
      expectObservable(referenceShared).toBe(first, doubled);
      expectObservable(referenceShared, late).toBe(second, doubled);
      expectSubscriptions(viaPoolSource.subscriptions).toBe('^----!');
      expectSubscriptions(referenceSource.subscriptions).toBe('^----!');
      flush();
      expect(started).toEqual([1, 2, 3]);
      expect(started).toEqual(referenceStarted);
    });
  });

  test('retry around the pipeline resubscribes the source after its error', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 1,
        source: () => helpers.cold('a--#', n),
        around: (stage) => (source) => source.pipe(stage, retry(1)),
        expected: '                 -a--a-#',
        values: doubled,
        subs: ['                    ^--!   ', '                    ---^--!'],
      });
    });
  });

  test('catchError around the pipeline replaces the source error; the running request’s outcome is dropped', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 2,
        source: () => helpers.cold('ab-#', n),
        around: (stage) => (source) =>
          source.pipe(
            stage,
            catchError(() => helpers.cold('--z|', { z: 'caught' })),
          ),
        // a 0-2; b 2-4 is running when the source errors at 3
        expected: '                 --a--z|',
        values: { ...doubled, z: 'caught' },
        subs: '                     ^--!   ',
      });
      helpers.flush();
      expect(started).toEqual([1, 2]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('catchError on the source: the replacement values become requests', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () => helpers.cold('a-#', n).pipe(catchError(() => of(5))),
        expected: '                 ---a--(e|)',
        values: doubled,
      });
    });
  });
});
