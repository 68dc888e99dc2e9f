import { distinctUntilChanged, map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { InvalidOptionError, type PoolStats, UnknownTaskError } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = {
  double: (x: number): number => x * 2,
  wait: (frames: number): number => frames,
  fail(x: number): number {
    throw new Error(`no ${x}`);
  },
};

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

/** Runs `attempt`, which must throw, and returns what it threw. */
function thrown(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (error) {
    return error;
  }
  throw new Error('expected a synchronous throw');
}

const summary = (s: PoolStats): string => `w${s.workers} b${s.busy} q${s.queued} c${s.completed} f${s.failed}`;

describe('createVirtualPool: options are checked synchronously', () => {
  test.each<[string, string, object | undefined]>([
    ['a missing scheduler', 'scheduler', { size: 1 }],
    ['a scheduler without schedule()', 'scheduler', { scheduler: {} }],
    ['no options at all', 'scheduler', undefined],
    ['options that are not an object', 'options', 'fast' as never],
    ['size -1', 'size', { size: -1 }],
    ['size 1.5', 'size', { size: 1.5 }],
    ['size NaN', 'size', { size: NaN }],
    ['size "2"', 'size', { size: '2' }],
    ['duration -2', 'duration', { duration: -2 }],
    ['duration 0.5', 'duration', { duration: 0.5 }],
    ['duration NaN', 'duration', { duration: NaN }],
    ['duration "fast"', 'duration', { duration: 'fast' }],
  ])('refuses %s with ERR_INVALID_OPTION naming "%s"', (_case, option, options) => {
    const withScheduler = option === 'scheduler' || option === 'options' ? options : { scheduler: testScheduler, ...options };
    const error = thrown(() => createVirtualPool(tasks, withScheduler as never));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option });
    expect((error as Error).message).toContain(`"${option}"`);
  });

  test('refuses tasks that are not functions, naming the task', () => {
    const error = thrown(() => createVirtualPool({ good: () => 1, bad: 42 } as never, { scheduler: testScheduler }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'tasks.bad' });
    expect((error as Error).message).toContain('"tasks.bad"');
    for (const notTasks of [null, [() => 1], 'double']) {
      expect(thrown(() => createVirtualPool(notTasks as never, { scheduler: testScheduler }))).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'tasks' });
    }
  });

  test('poolMap refuses an unknown task synchronously with ERR_UNKNOWN_TASK, listing the known ones', () => {
    const pool = createVirtualPool(tasks, { scheduler: testScheduler });
    const error = thrown(() => poolMap(pool, 'triple' as never));
    expect(error).toBeInstanceOf(UnknownTaskError);
    expect(error).toMatchObject({ code: 'ERR_UNKNOWN_TASK', task: 'triple', known: ['double', 'wait', 'fail'] });
  });

  test('poolMap refuses something that is not a pool, or an empty task name, with ERR_INVALID_OPTION', () => {
    expect(thrown(() => poolMap({ size: 1 } as never, 'x' as never))).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'pool' });
    const pool = createVirtualPool(tasks, { scheduler: testScheduler });
    expect(thrown(() => poolMap(pool, '' as never))).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'task' });
  });
});

describe('createVirtualPool: virtual time', () => {
  test('defaults to one worker and one frame a request', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler });
      expect(pool.size).toBe(1);
      expectObservable(
        cold('(abc|)', { a: 1, b: 2, c: 3 }).pipe(
          poolMap(pool, 'double'),
          map((o) => o.ok && o.value),
        ),
      ).toBe('-ab(c|)', { a: 2, b: 4, c: 6 });
    });
  });

  test('duration may be a function of (task, args)', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const seen: string[] = [];
      const duration = (task: string, args: readonly unknown[]): number => (seen.push(`${task}(${args.join(',')})`), task === 'wait' ? (args[0] as number) : 1);
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration });
      const waits = cold('(abc|)', { a: 5, b: 2, c: 3 });
      expectObservable(
        waits.pipe(
          poolMap(pool, 'wait'),
          map((o) => o.ok && o.value),
        ),
      ).toBe('--bc-(a|)', { a: 5, b: 2, c: 3 });
      expectSubscriptions(waits.subscriptions).toBe('(^!)');
      testScheduler.flush();
      expect(seen).toEqual(['wait(5)', 'wait(2)', 'wait(3)']);
    });
  });

  test('a task that returns a promise fails that request: a virtual pool runs synchronous tasks only', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool({ later: async (x: number) => x }, { scheduler: testScheduler });
      const out = cold('a|', { a: 1 }).pipe(
        poolMap(pool, 'later'),
        map((o) => (o.ok ? 'ok' : (o.error as Error & { code: string }).code)),
      );
      expectObservable(out).toBe('-(e|)', { e: 'ERR_TASK_FAILED' });
    });
  });
});

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
