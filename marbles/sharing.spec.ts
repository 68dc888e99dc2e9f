// Sharing one pool (marbles): pipelines take turns; a higher priority goes first; together they never run more than the pool has workers.
import { map, merge } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { Outcome } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { doubled, n, newTestScheduler, poolMapTasks, show, watchStats } from './specHelpers';

const tasks = {
  work: (label: string): string => label,
};
const label = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : 'E'));

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('sharing one pool (marbles)', () => {
  test('pipelines take turns by default: a flood queued first does not hold back a later pipeline', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      // Bulk queues six requests at frame 0; live sends two at frame 1.
      const bulk = cold('(abcdef|)').pipe(poolMap(pool, 'work', { batch: 1 }), label);
      const live = cold('-(xy|)').pipe(poolMap(pool, 'work', { batch: 1 }), label);
      // One worker, 2 frames each. Bulk was next in line when live arrived, so after a and b the turns
      // alternate: x, c, y; then bulk alone. Live's requests never wait for the whole flood.
      expectObservable(merge(bulk, live)).toBe('--a-b-x-c-y-d-e-(f|)');
    });
  });

  test('a pipeline with a higher priority goes first whenever it has requests waiting', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      const bulk = cold('(abcdef|)').pipe(poolMap(pool, 'work', { batch: 1 }), label);
      const live = cold('-(xy|)').pipe(poolMap(pool, 'work', { batch: 1, priority: 1 }), label);
      expectObservable(merge(bulk, live)).toBe('--a-x-y-b-c-d-e-(f|)');
    });
  });
});

describe('poolMap: pipelines sharing a pool', () => {
  const tasks = poolMapTasks;

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
