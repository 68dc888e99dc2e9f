// Synchronous sources (marbles): of, from, range and generators run in the same waves as under mergeMap, and stop when the output closes.
import { from, mergeMap, Observable, of, range, take, takeUntil, tap } from 'rxjs';
import { poolMap } from '../operators';
import { aborted, counted, doubled, label, n, numbers, openPool, reference, sameAsMergeMap, show, testScheduler, useVirtualTime, viaPool } from './specHelpers';

useVirtualTime();

describe('mergeMap contract: synchronous sources', () => {
  const openPoolSources: [string, () => Observable<number>][] = [
    ['of(1, 2, 3)', () => of(1, 2, 3)],
    ['from([1, 2, 3])', () => from([1, 2, 3])],
    [
      'from(generator)',
      () =>
        from(
          (function* () {
            yield* [1, 2, 3];
          })(),
        ),
    ],
    ['range(1, 3)', () => range(1, 3)],
  ];

  test.each(openPoolSources)('%s on an open pool: the same waves as mergeMap', (_name, source) => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, { size: 2, duration: 4, source, expected: '----(ab)(c|)', values: doubled });
    });
  });

  test('take(n) after a synchronous source on an open pool: the rest of the queue is dropped when the output closes', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 2,
        duration: 4,
        source: () => from(numbers(6)),
        around: (stage) => (source) => source.pipe(stage, take(3)),
        expected: '----(ab)(c|)',
        values: doubled,
      });
      helpers.flush();
      expect(started).toEqual([1, 2, 3, 4]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  const countingSources: [string, (counter: { n: number }) => Observable<number>][] = [
    ['an Observable that checks subscriber.closed', (counter) => counted(counter)],
    ['of(1, …, 20)', (counter) => of(...numbers(20)).pipe(tap(() => counter.n++))],
    ['from([1, …, 20])', (counter) => from(numbers(20)).pipe(tap(() => counter.n++))],
    ['range(1, 20)', (counter) => range(1, 20).pipe(tap(() => counter.n++))],
  ];

  test.each(countingSources)('a closed pool fails every request at once; take(3) stops the synchronous source after 3 values: %s', (_name, source) => {
    testScheduler.run(({ expectObservable, flush }) => {
      const { pool, started } = openPool(1, 3);
      void pool.close();
      const closed = 'E:ERR_POOL_CLOSED';
      const viaPoolCount = { n: 0 };
      const referenceCount = { n: 0 };
      expectObservable(source(viaPoolCount).pipe(viaPool(pool), take(3))).toBe('(eee|)', { e: closed });
      // The reference: each request's inner gives its failure synchronously. (An inner that *errors*
      // synchronously, throwError, would error mergeMap's stream at the first value and stop the source at 1.)
      expectObservable(
        source(referenceCount).pipe(
          mergeMap(() => of(closed)),
          take(3),
        ),
      ).toBe('(eee|)', { e: closed });
      flush();
      expect(referenceCount.n).toBe(3);
      expect(viaPoolCount.n).toBe(3);
      expect(started).toEqual([]);
      expect(pool.stats.pipelines).toEqual([]);
    });
  });

  test('a closed pool and from(generator) with take(1): the generator is not pulled further, and is finalized', () => {
    testScheduler.run(({ expectObservable, flush }) => {
      const { pool } = openPool(1, 3);
      void pool.close();
      const closed = 'E:ERR_POOL_CLOSED';
      const make = (): { source: Observable<number>; state: { pulled: number; finalized: boolean } } => {
        const state = { pulled: 0, finalized: false };
        function* generate(): Generator<number> {
          try {
            for (let i = 1; i <= 20; i++) {
              state.pulled++;
              yield i;
            }
          } finally {
            state.finalized = true;
          }
        }
        return { source: from(generate()), state };
      };
      const viaPoolSide = make();
      const referenceSide = make();
      expectObservable(viaPoolSide.source.pipe(viaPool(pool), take(1))).toBe('(e|)', { e: closed });
      expectObservable(
        referenceSide.source.pipe(
          mergeMap(() => of(closed)),
          take(1),
        ),
      ).toBe('(e|)', { e: closed });
      flush();
      expect(referenceSide.state).toEqual({ pulled: 1, finalized: true });
      expect(viaPoolSide.state).toEqual({ pulled: 1, finalized: true });
    });
  });

  test('signal aborted from inside the source’s emission: the stream completes at once, the source stops, no outcome follows', () => {
    testScheduler.run(({ expectObservable, flush }) => {
      const { pool, started } = openPool(1, 2);
      /** A synchronous source that aborts `controller` right after emitting 3. */
      const abortingAfter3 = (controller: AbortController, counter: { n: number }): Observable<number> =>
        new Observable<number>((subscriber) => {
          for (let i = 1; i <= 20 && !subscriber.closed; i++) {
            counter.n++;
            subscriber.next(i);
            if (i === 3) controller.abort();
          }
          subscriber.complete();
        });
      const viaPoolAbort = new AbortController();
      const referenceAbort = new AbortController();
      const viaPoolCount = { n: 0 };
      const referenceCount = { n: 0 };
      const referenceStarted: number[] = [];
      expectObservable(abortingAfter3(viaPoolAbort, viaPoolCount).pipe(poolMap(pool, 'double', { signal: viaPoolAbort.signal }), show)).toBe('|');
      // The reference of `signal`: the mergeMap pipeline taken until the signal aborts
      expectObservable(abortingAfter3(referenceAbort, referenceCount).pipe(reference(1, 2, referenceStarted), takeUntil(aborted(referenceAbort.signal)))).toBe(
        '|',
      );
      flush();
      expect(referenceCount.n).toBe(3);
      expect(viaPoolCount.n).toBe(3);
      expect(started).toEqual([1]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('signal aborted at a frame: the stream completes on it and the running request’s outcome is dropped', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const { pool, started } = openPool(1, 3);
      const viaPoolAbort = new AbortController();
      const referenceAbort = new AbortController();
      testScheduler.schedule(() => (viaPoolAbort.abort(), referenceAbort.abort()), 4);
      const marble = '  ab----|';
      const expected = '---a|   ';
      const subs = '    ^---!   ';
      const viaPoolSource = cold(marble, n);
      const referenceSource = cold(marble, n);
      const referenceStarted: number[] = [];
      expectObservable(viaPoolSource.pipe(poolMap(pool, 'double', { signal: viaPoolAbort.signal }), show)).toBe(expected, doubled);
      expectObservable(referenceSource.pipe(reference(1, 3, referenceStarted), takeUntil(aborted(referenceAbort.signal)))).toBe(expected, doubled);
      expectSubscriptions(viaPoolSource.subscriptions).toBe(subs);
      expectSubscriptions(referenceSource.subscriptions).toBe(subs);
      flush();
      expect(started).toEqual([1, 2]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test.each(countingSources)(
    "queue { size: 2 } overflow 'error' and take(2): two refusals close the output and stop the synchronous source: %s",
    (_name, source) => {
      // No mergeMap counterpart: mergeMap buffers without bound. One worker: 1 runs, 2 and 3 wait, 4 and 5 are
      // refused at once (QueueFullError) and take(2) closes the output on the second refusal, so the source must stop at 5.
      testScheduler.run(({ expectObservable, flush }) => {
        const { pool, started } = openPool(1, 3);
        const counter = { n: 0 };
        const out = source(counter).pipe(poolMap(pool, 'double', { queue: { size: 2 } }), label, take(2));
        expectObservable(out).toBe('(xy|)', { x: '4!ERR_QUEUE_FULL', y: '5!ERR_QUEUE_FULL' });
        flush();
        expect(counter.n).toBe(5);
        expect(started).toEqual([1]);
        expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
      });
    },
  );
});
