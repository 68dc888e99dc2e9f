// close() (marbles): queued, running and later requests end with ERR_POOL_CLOSED.
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { label, n, recording, testScheduler, useVirtualTime } from './specHelpers';

useVirtualTime();

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
