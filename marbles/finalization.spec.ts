// Finalization (marbles): the order in which the source and the output are finalized, as under mergeMap.
import { finalize, Observable, type OperatorFunction } from 'rxjs';
import { double, n, openPool, reference, testScheduler, useVirtualTime, viaPool } from './specHelpers';

useVirtualTime();

describe('mergeMap contract: finalize order', () => {
  /** A log of entries stamped with their frame. */
  function logger(): { readonly entries: string[]; readonly log: (entry: string) => void } {
    const entries: string[] = [];
    return { entries, log: (entry) => void entries.push(`${testScheduler.now()} ${entry}`) };
  }

  /**
   * Subscribes `source → finalize → stage → finalize`, logging the outcomes, the end and both finalizers;
   * `atOutputFinalize` runs first in the output's finalizer.
   */
  function subscribeLogged(
    source: Observable<number>,
    stage: OperatorFunction<number, unknown>,
    log: (entry: string) => void,
    atOutputFinalize?: () => void,
  ): { unsubscribe(): void } {
    return source
      .pipe(
        finalize(() => log('source finalized')),
        stage,
        finalize(() => {
          atOutputFinalize?.();
          log('output finalized');
        }),
      )
      .subscribe({
        next: (value) => log(`next ${value}`),
        error: (error: Error) => log(`error ${error.message}`),
        complete: () => log('complete'),
      });
  }

  test('the source is finalized when it completes, the output after the last outcome and its completion; the pipeline is closed by then', () => {
    testScheduler.run(({ cold, flush }) => {
      const viaPoolSide = logger();
      const referenceSide = logger();
      const { pool } = openPool(1, 3, (x) => viaPoolSide.log(`start ${x}`));
      let pipelinesAtFinalize = -1;
      subscribeLogged(cold('ab|', n), viaPool(pool), viaPoolSide.log, () => (pipelinesAtFinalize = pool.stats.pipelines.length));
      subscribeLogged(
        cold('ab|', n),
        reference(1, 3, [], double, (x) => referenceSide.log(`start ${x}`)),
        referenceSide.log,
      );
      flush();
      // as in concatMap's "finalize before moving to the next": b starts only once a's outcome is out
      expect(referenceSide.entries).toEqual(['0 start 1', '2 source finalized', '3 next 2', '3 start 2', '6 next 4', '6 complete', '6 output finalized']);
      expect(viaPoolSide.entries).toEqual(referenceSide.entries);
      expect(pipelinesAtFinalize).toBe(0);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('on unsubscription, the source is finalized, then the output, on that frame', () => {
    testScheduler.run(({ cold, flush }) => {
      const viaPoolSide = logger();
      const referenceSide = logger();
      const { pool } = openPool(1, 3, (x) => viaPoolSide.log(`start ${x}`));
      const viaPoolSubscription = subscribeLogged(cold('abcdef|', n), viaPool(pool), viaPoolSide.log);
      const referenceSubscription = subscribeLogged(
        cold('abcdef|', n),
        reference(1, 3, [], double, (x) => referenceSide.log(`start ${x}`)),
        referenceSide.log,
      );
      testScheduler.schedule(() => (viaPoolSubscription.unsubscribe(), referenceSubscription.unsubscribe()), 4);
      flush();
      expect(referenceSide.entries).toEqual(['0 start 1', '3 next 2', '3 start 2', '4 source finalized', '4 output finalized']);
      expect(viaPoolSide.entries).toEqual(referenceSide.entries);
      expect(pool.stats).toMatchObject({ queued: 0, pipelines: [] });
    });
  });

  test('on a source error, the error reaches the output first, then the source and the output are finalized', () => {
    testScheduler.run(({ cold, flush }) => {
      const viaPoolSide = logger();
      const referenceSide = logger();
      const { pool } = openPool(1, 5, (x) => viaPoolSide.log(`start ${x}`));
      const boom = new Error('boom');
      subscribeLogged(cold('a-#', n, boom), viaPool(pool), viaPoolSide.log);
      subscribeLogged(
        cold('a-#', n, boom),
        reference(1, 5, [], double, (x) => referenceSide.log(`start ${x}`)),
        referenceSide.log,
      );
      flush();
      expect(referenceSide.entries).toEqual(['0 start 1', '2 error boom', '2 source finalized', '2 output finalized']);
      expect(viaPoolSide.entries).toEqual(referenceSide.entries);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });
});
