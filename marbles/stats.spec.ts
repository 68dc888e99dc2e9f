// stats$ and stats (marbles): completed and failed as requests end, workers, busy and queued as work proceeds; replay and completion.
import { distinctUntilChanged, map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { PoolStats } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = {
  double: (x: number): number => x * 2,
  fail(x: number): number {
    throw new Error(`no ${x}`);
  },
};

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

const summary = (s: PoolStats): string => `w${s.workers} b${s.busy} q${s.queued} c${s.completed} f${s.failed}`;

describe('createVirtualPool: stats$', () => {
  test('stats$ reports completed and failed requests as they end', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 5 });
      // subscribed first: the latest snapshot at once, then every change
      const counts = pool.stats$.pipe(
        map((s) => `c${s.completed} f${s.failed}`),
        distinctUntilChanged(),
      );
      expectObservable(counts).toBe('x----(yz)-(uv)', { x: 'c0 f0', y: 'c1 f0', z: 'c2 f0', u: 'c2 f1', v: 'c2 f2' });
      // both workers run the doubles 0-5, then the failing requests 5-10
      expectObservable(
        cold('(ab|)', { a: 1, b: 2 }).pipe(
          poolMap(pool, 'double'),
          map(() => 'x'),
        ),
      ).toBe('-----(xx|)     ');
      expectObservable(
        cold('(ab|)', { a: 1, b: 2 }).pipe(
          poolMap(pool, 'fail'),
          map(() => 'x'),
        ),
      ).toBe('----------(xx|)');
    });
  });

  test('stats sampled between events show workers, busy and queued as work proceeds and the pool is resized', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 3 });
      testScheduler.schedule(() => void pool.createWorkers(1), 5);
      expectObservable(
        cold('(abcd|)', { a: 1, b: 2, c: 3, d: 4 }).pipe(
          poolMap(pool, 'double'),
          map((o) => o.ok && o.value),
        ),
      ).toBe('---a--b-c(d|)', { a: 2, b: 4, c: 6, d: 8 });
      // sampled on frames where nothing else happens: a 0-3, b 3-6; the new worker takes c at 5 (5-8), d 6-9
      const samples = cold('-a--b--c--d|').pipe(map(() => summary(pool.stats)));
      expectObservable(samples).toBe('-a--b--c--d|', {
        a: 'w1 b1 q3 c0 f0',
        b: 'w1 b1 q2 c1 f0',
        c: 'w2 b2 q0 c2 f0',
        d: 'w2 b0 q0 c4 f0',
      });
    });
  });

  test('stats$ replays the latest snapshot to a new subscriber and completes when the pool is closed', async () => {
    const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3 });
    const seen: PoolStats[] = [];
    let completed = false;
    pool.stats$.subscribe({ next: (stats) => seen.push(stats), complete: () => (completed = true) });
    expect(seen).toEqual([expect.objectContaining({ workers: 3, busy: 0, queued: 0, completed: 0, failed: 0, pipelines: [] })]);
    const late: PoolStats[] = [];
    pool.stats$.subscribe((stats) => late.push(stats));
    expect(late).toEqual([expect.objectContaining({ workers: 3, busy: 0, queued: 0, completed: 0, failed: 0 })]);
    await pool.close();
    expect(completed).toBe(true);
    expect(seen[seen.length - 1].workers).toBe(0);
  });
});
