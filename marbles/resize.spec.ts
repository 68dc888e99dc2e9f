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

describe('autoscaling: size { min, max } (marbles)', () => {
  test('a burst grows the pool to max at once, and after idleTimeout it shrinks back to min; every request has one outcome', () => {
    testScheduler.run(({ cold, flush }) => {
      // 1 worker to start, up to 3; a request takes 4 frames; an idle worker above min exits after 5.
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: { min: 1, max: 3 }, duration: 4, idleTimeout: 5 });
      const seen: string[] = [];
      pool.events$.subscribe((event) => {
        if (event.type === 'workerStarted' || event.type === 'workerExited') seen.push(`${testScheduler.now()} ${event.type} → ${pool.size}`);
      });
      // Six at once: a, b, c start at 0 on three workers, d, e, f at 4; all is done at 8.
      cold('(abcdef|)', n)
        .pipe(poolMap(pool, 'double'), show)
        .subscribe({ next: (value) => seen.push(`${testScheduler.now()} ${String(value)}`), complete: () => seen.push(`${testScheduler.now()} done`) });
      flush();
      // Idle from 8: at 13 two workers exit (the pool is above min), the third stays.
      expect(seen).toEqual([
        '0 workerStarted → 2',
        '0 workerStarted → 3',
        '4 2',
        '4 4',
        '4 6',
        '8 8',
        '8 10',
        '8 12',
        '8 done',
        '13 workerExited → 2',
        '13 workerExited → 1',
      ]);
      expect(pool.size).toBe(1);
    });
  });

  test('resize mid-stream: a larger max takes the waiting requests at once; a smaller max dismisses the workers past it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 4 });
      testScheduler.schedule(() => void pool.resize({ min: 1, max: 3 }), 1);
      testScheduler.schedule(() => void pool.resize(1), 6);
      // a 0-4 on the one worker; from 1 the pool may grow: b starts on a new worker (1-5), c on another (2-6); d waits
      // for the first (4-8), e for the second (5-9). At 6 the size is 1 again: the two busy workers past it finish, then
      // leave (8, 9); f runs on the one that stays (6-10).
      const source = cold('abcdef|', n);
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe('----abc-de(f|)', doubled);
      testScheduler.schedule(() => expect(pool.size).toBe(1), 7);
    });
  });

  test('createWorkers and dismissWorkers move both bounds', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: { min: 1, max: 2 }, duration: 4, idleTimeout: 100 });
      // { 1, 2 } → dismissWorkers(1) → { 0, 1 }: a burst runs on one worker, one at a time.
      testScheduler.schedule(() => void pool.dismissWorkers(1), 0);
      const source = cold('-(abc|)', n);
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe('-----a---b---(c|)', doubled);
    });
  });

  test('bad sizes are refused, naming the bound', () => {
    testScheduler.run(() => {
      expect(() => createVirtualPool(tasks, { scheduler: testScheduler, size: { min: 3, max: 2 } })).toThrow('"size.max"');
      expect(() => createVirtualPool(tasks, { scheduler: testScheduler, size: { min: -1, max: 2 } })).toThrow('"size.min"');
      expect(() => createVirtualPool(tasks, { scheduler: testScheduler, size: { least: 1 } as never })).toThrow('"least"');
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1 });
      expect(() => pool.resize({ min: 1, max: 0 })).toThrow('"size.max"');
      expect(() => pool.resize(1.5)).toThrow('"size"');
    });
  });
});
