// createVirtualPool (marbles): its options are checked synchronously, and its virtual time (size, duration, synchronous tasks).
import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { InvalidOptionError, UnknownTaskError } from '../src';
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
    ['cancelGrace 0', 'cancelGrace', { cancelGrace: 0 }],
    ['cancelGrace 2.5', 'cancelGrace', { cancelGrace: 2.5 }],
    ['cancelGrace "long"', 'cancelGrace', { cancelGrace: 'long' }],
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

  test('so does an async generator task, and a generator that returns a promise; a sync generator is drained at once', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const generators = {
        async *steps(x: number): AsyncGenerator<number, number> {
          yield x;
          return x;
        },
        *promised(x: number): Generator<number, Promise<number>> {
          yield x;
          return Promise.resolve(x);
        },
        *counted(x: number): Generator<number, number> {
          yield x;
          return x + 1;
        },
      };
      const pool = createVirtualPool(generators, { scheduler: testScheduler, size: 3 });
      const show = map((o: { ok: boolean; value?: unknown; error?: unknown }) =>
        o.ok ? o.value : `${(o.error as { code: string }).code} ${((o.error as { cause: Error }).cause.message.match(/synchronous tasks/) ?? ['?'])[0]}`,
      );
      const failed = 'ERR_TASK_FAILED synchronous tasks';
      expectObservable(cold('a|', { a: 1 }).pipe(poolMap(pool, 'steps'), show)).toBe('-(e|)', { e: failed });
      expectObservable(cold('a|', { a: 1 }).pipe(poolMap(pool, 'promised'), show)).toBe('-(e|)', { e: failed });
      expectObservable(cold('a|', { a: 1 }).pipe(poolMap(pool, 'counted'), show)).toBe('-(v|)', { v: 2 });
    });
  });
});
