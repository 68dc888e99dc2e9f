// Resizing (marbles): createWorkers and dismissWorkers mid-stream, followed by the running pipeline.
import { tap } from 'rxjs';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { doubled, n, poolMapTasks, show, testScheduler, useVirtualTime } from './specHelpers';

useVirtualTime();
const tasks = poolMapTasks;

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
