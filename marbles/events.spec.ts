// pool.events$ in virtual time: each event at the frame it happens, in order.
import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { PoolEvent } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = { id: (x: string): string => x };
let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

/** An event as one letter's value: its type, and its worker or reason where it has one. */
const brief = map((event: PoolEvent): string => {
  switch (event.type) {
    case 'workerStarted':
      return `started ${event.worker}`;
    case 'workerExited':
      return `exited ${event.worker} ${event.reason}`;
    case 'queueFull':
      return `full ${event.queue} ${event.pipeline}`;
    case 'closing':
      return `closing ${String(event.drain)}`;
    default:
      return event.type;
  }
});

describe('pool.events$ (marbles)', () => {
  test('a queue overflows, the pool drains, workers come and go, the pool closes: each event at its frame', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 3 });
      // One worker, room for one waiting: a runs (0-3), b waits (3-6), c overflows at frame 2.
      const events = pool.events$.pipe(brief);
      // createWorkers at 8 starts worker 2; dismissWorkers at 10 takes the latest idle (2); close at 12 ends worker 1.
      // (`closed`, and the completion, follow once the executor's close promise settles: after the virtual run.)
      expectObservable(events).toBe('--x---d-s-e-(kw)', {
        x: 'full pipeline id',
        d: 'drained',
        s: 'started 2',
        e: 'exited 2 dismissed',
        k: 'closing false',
        w: 'exited 1 closed',
      });
      expectObservable(
        cold('abc|', { a: 'a', b: 'b', c: 'c' }).pipe(
          poolMap(pool, 'id', { queue: { size: 1 } }),
          map(() => '.'),
        ),
      ).toBe('--xx--(x|)', {
        x: '.',
      });
      testScheduler.schedule(() => void pool.createWorkers(1), 8);
      testScheduler.schedule(() => void pool.dismissWorkers(1), 10);
      testScheduler.schedule(() => void pool.close(), 12);
    });
  });
});
