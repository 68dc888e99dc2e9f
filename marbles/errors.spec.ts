import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { type Failure, TaskError } from '../src';
import { errors, poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler, silencedConsoleErrors } from './specHelpers';

class OddError extends Error {
  readonly code = 'E_ODD';
  constructor(x: number) {
    super(`odd ${x}`);
    this.name = 'OddError';
  }
}

const tasks = {
  failIfOdd(x: number): number {
    if (x % 2 === 1) throw new OddError(x);
    return x;
  },
  double: (x: number): number => x * 2,
};

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));
const consoleErrors = silencedConsoleErrors();

const n = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };

/** A failure as a marble value: the argument, the code, and the thrown error's name and message. */
const describeFailure = map(({ request, error }: Failure<readonly unknown[]>) => {
  const cause = error.cause as Error;
  return `${request.args[0]} ${(error as TaskError).code} ${cause.name}: ${cause.message}`;
});

describe('errors()', () => {
  test('keeps the failures on the frames they arrive: ERR_TASK_FAILED whose cause keeps the thrown name and message', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      const source = cold('abcd|    ', n);
      const expected = '   --a---c-|';
      expectObservable(source.pipe(poolMap(pool, 'failIfOdd'), errors(), describeFailure)).toBe(expected, {
        a: '1 ERR_TASK_FAILED OddError: odd 1',
        c: '3 ERR_TASK_FAILED OddError: odd 3',
      });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
    expect(consoleErrors.spy).not.toHaveBeenCalled();
  });

  test('each failure carries a TaskError naming the task and its request, and the thrown error’s own code', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const out = cold('c|', n).pipe(
        poolMap(pool, 'failIfOdd'),
        errors(),
        map(({ request, error }) => {
          const failed = error as TaskError;
          return [failed instanceof TaskError, failed.task, failed.requestId === request.id, failed.cause.code].join(' ');
        }),
      );
      expectObservable(out).toBe('-(x|)', { x: 'true failIfOdd true E_ODD' });
    });
  });

  test('emits nothing and completes with the last outcome when every request succeeds', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      expectObservable(cold('bd|', n).pipe(poolMap(pool, 'failIfOdd'), errors())).toBe('----|');
    });
  });

  test('routes pool failures too: requests cut off by close() arrive as ERR_POOL_CLOSED', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 3 });
      testScheduler.schedule(() => void pool.close(), 4);
      const out = cold('ab|', n).pipe(
        poolMap(pool, 'double'),
        errors(),
        map(({ request, error }) => `${request.args[0]} ${(error as Error & { code: string }).code}`),
      );
      expectObservable(out).toBe('----(b|)', { b: '2 ERR_POOL_CLOSED' });
    });
  });
});
