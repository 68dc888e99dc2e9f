// close() (marbles): queued, running and later requests end with ERR_POOL_CLOSED; a running task that reads its signal sees it abort.
import { map } from 'rxjs';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { framesByArgument, label, n, recording, signalTasks, testScheduler, useVirtualTime, workerEvents } from './specHelpers';

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

describe('closing the pool under a task that reads its signal', () => {
  test('its signal aborts (AbortError) and its request ends with ERR_POOL_CLOSED at the close; the worker exits then', () => {
    const log: string[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: framesByArgument });
      testScheduler.schedule(() => void pool.close(), 4);
      const out = cold('a|', { a: 10 }).pipe(
        poolMap(pool, 'listen'),
        map((outcome) => (outcome.ok ? outcome.value : (outcome.error as { code?: string }).code)),
      );
      expectObservable(out).toBe('----(a|)', { a: 'ERR_POOL_CLOSED' });
      expectObservable(workerEvents(pool.events$)).toBe('----x', { x: 'exited 1 closed' });
    });
    expect(log).toEqual(['4 AbortError']);
  });
});
