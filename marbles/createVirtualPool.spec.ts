import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidOptionError, type PoolStats, UnknownTaskError } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';

const tasks = { double: (n: number): number => n * 2, slow: (n: number): number => n };

let testScheduler: TestScheduler;
beforeEach(() => {
  testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

describe('createVirtualPool', () => {
  test.each([
    ['scheduler', { size: 1 }],
    ['size', { size: -1 }],
    ['size', { size: 1.5 }],
    ['size', { size: NaN }],
    ['duration', { duration: -2 }],
    ['duration', { duration: 'fast' }],
  ])('refuses a bad "%s" at once, naming it', (option, options) => {
    const attempt = () => createVirtualPool(tasks, { scheduler: testScheduler, ...options } as never);
    if (option === 'scheduler') {
      expect(() => createVirtualPool(tasks, options as never)).toThrow(`"${option}"`);
      return;
    }
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(`"${option}"`);
  });

  test('refuses tasks that are not functions, naming the task', () => {
    expect(() => createVirtualPool({ good: () => 1, bad: 42 } as never, { scheduler: testScheduler })).toThrow('"tasks.bad"');
    expect(() => createVirtualPool(null as never, { scheduler: testScheduler })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  test('poolMap refuses an unknown task at once, listing the known ones', () => {
    const pool = createVirtualPool(tasks, { scheduler: testScheduler });
    expect(() => poolMap(pool, 'triple' as never)).toThrow(UnknownTaskError);
    expect(() => poolMap(pool, 'triple' as never)).toThrow(/"triple".*"double", "slow"/);
  });

  test('duration may depend on the task and its arguments', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: (task, args) => (task === 'slow' ? (args[0] as number) : 1) });
      expectObservable(cold('ab|', { a: 5, b: 2 }).pipe(poolMap(pool, 'slow'), map((o) => o.ok && o.value))).toBe('---b-(a|)', { a: 5, b: 2 });
    });
  });

  test('a task that returns a promise is refused for that request: virtual time runs synchronous tasks only', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool({ later: async (x: number) => x }, { scheduler: testScheduler });
      expectObservable(cold('a|', { a: 1 }).pipe(poolMap(pool, 'later'), map((o) => !o.ok && (o.error as TypeError & { code: string }).code))).toBe('-(e|)', { e: 'ERR_TASK_FAILED' });
    });
  });

  test('stats$ follows the work: busy, queued, completed and failed', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool({ ...tasks, fail: (): number => { throw new Error('no'); } }, { scheduler: testScheduler, size: 1, duration: 2 });
      const snapshots: PoolStats[] = [];
      pool.stats$.subscribe((stats) => snapshots.push(stats));
      expectObservable(cold('ab|', { a: 1, b: 2 }).pipe(poolMap(pool, 'double'), map(() => 'x'))).toBe('--x-(x|)');
      expectObservable(cold('-a|', { a: 1 }).pipe(poolMap(pool, 'fail' as never), map(() => 'y'))).toBe('------(y|)');
      testScheduler.flush();
      const last = snapshots[snapshots.length - 1];
      expect(last).toEqual({ workers: 1, busy: 0, queued: 0, completed: 2, failed: 1 });
      expect(Math.max(...snapshots.map((s) => s.queued))).toBe(2);
      expect(Math.max(...snapshots.map((s) => s.busy))).toBe(1);
    });
  });

  test('stats$ replays the latest snapshot to a new subscriber and completes when the pool is closed', async () => {
    const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3 });
    const seen: number[] = [];
    let completed = false;
    pool.stats$.subscribe({ next: (stats) => seen.push(stats.workers), complete: () => (completed = true) });
    expect(seen).toEqual([3]);
    const late: number[] = [];
    pool.stats$.subscribe((stats) => late.push(stats.workers));
    expect(late).toEqual([3]);
    await pool.close();
    expect(completed).toBe(true);
    expect(seen[seen.length - 1]).toBe(0);
  });
});
