// Outcomes (marbles): each request yields one outcome, a result or a failure, and the stream never errors because of
// failures; results(), errors() and splitOutcomes() route them, printing the failures nobody handles.
import { map, merge } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { type Failure, makeRequests, TaskError } from '../src';
import { errors, poolMap, results, splitOutcomes } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { codeOf, newTestScheduler, poolMapTasks, show, silencedConsoleErrors } from './specHelpers';

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));
const consoleErrors = silencedConsoleErrors();

const n = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };

describe('poolMap: failures', () => {
  const tasks = poolMapTasks;

  test('a failing request yields an ERR_TASK_FAILED outcome keeping the thrown error, while results keep flowing', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const source = cold('abcd|  ', n);
      const expected = '   -abc(d|)';
      const out = source.pipe(
        poolMap(pool, 'failIfOdd'),
        map((o) => (o.ok ? o.value : `${codeOf(o)} ${(o.error.cause as Error).name}: ${(o.error.cause as Error).message}`)),
      );
      expectObservable(out).toBe(expected, { a: 'ERR_TASK_FAILED RangeError: odd 1', b: 2, c: 'ERR_TASK_FAILED RangeError: odd 3', d: 4 });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  test('the stream never errors because of failing requests, even when every request fails', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 4 });
      const source = cold('(ace|)      ', n);
      const expected = '   ----(xy)(z|)';
      const failed = 'E:ERR_TASK_FAILED';
      expectObservable(source.pipe(poolMap(pool, 'failIfOdd'), show)).toBe(expected, { x: failed, y: failed, z: failed });
    });
  });
});

describe('results()', () => {
  const tasks = {
    failIfOdd(x: number): number {
      if (x % 2 === 1) throw new RangeError(`odd ${x}`);
      return x * 10;
    },
    add: (a: number, b: number): number => a + b,
  };

  test('keeps the results, on the frames they arrive, and drops the failures without erroring the stream', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      const source = cold('abcd|      ', n);
      const expected = '   ----b---(d|)';
      expectObservable(
        source.pipe(
          poolMap(pool, 'failIfOdd'),
          results(),
          map(({ value }) => value),
        ),
      ).toBe(expected, { b: 20, d: 40 });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  test('prints each failure it drops with console.error, naming the request and the thrown error', () => {
    const ids: number[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 1 });
      const out = cold('abc|', n).pipe(
        poolMap(pool, 'failIfOdd'),
        map((outcome) => (ids.push(outcome.request.id), outcome)),
        results(),
        map(({ value }) => value),
      );
      expectObservable(out).toBe('--b|', { b: 20 });
    });
    expect(consoleErrors.spy).toHaveBeenCalledTimes(2);
    const [first, second] = consoleErrors.spy.mock.calls.map((call) => String(call[0]));
    expect(first).toContain(`request ${ids[0]} failed`);
    expect(first).toMatch(/RangeError: odd 1/);
    expect(second).toContain(`request ${ids[2]} failed`);
    expect(second).toMatch(/RangeError: odd 3/);
  });

  test('prints nothing when no request fails', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 1 });
      expectObservable(
        cold('bd|', n).pipe(
          poolMap(pool, 'failIfOdd'),
          results(),
          map(({ value }) => value),
        ),
      ).toBe('-b(d|)', { b: 20, d: 40 });
    });
    expect(consoleErrors.spy).not.toHaveBeenCalled();
  });

  test('emits each result whole: the request it answers and its value', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 1 });
      const [p, q] = makeRequests([
        [1, 2],
        [5, 5],
      ] as [number, number][]);
      expectObservable(cold('pq|', { p, q }).pipe(poolMap(pool, 'add'), results())).toBe('-p(q|)', {
        p: { ok: true, request: p, value: 3 },
        q: { ok: true, request: q, value: 10 },
      });
    });
  });

  test('completes, and never errors, when every request fails', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      expectObservable(cold('ace|', n).pipe(poolMap(pool, 'failIfOdd'), results())).toBe('---|');
    });
    expect(consoleErrors.spy).toHaveBeenCalledTimes(3);
  });
});

describe('errors()', () => {
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

  /** A failure as a marble value: the argument, the code, and the thrown error's name and message. */
  const describeFailure = map(({ request, error }: Failure<readonly unknown[]>) => {
    const cause = error.cause as Error;
    return `${request.args[0]} ${(error as TaskError).code} ${cause.name}: ${cause.message}`;
  });

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

describe('splitOutcomes', () => {
  function failIfOdd(x: number): number {
    if (x % 2 === 1) throw new RangeError(`odd ${x}`);
    return x * 10;
  }

  /** A task map whose `failIfOdd` records each call it runs. */
  function recording(): { calls: number[]; tasks: { failIfOdd: (x: number) => number } } {
    const calls: number[] = [];
    return { calls, tasks: { failIfOdd: (x: number) => (calls.push(x), failIfOdd(x)) } };
  }

  test('routes failures to errors$ while results keep flowing on results$', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool({ failIfOdd }, { scheduler: testScheduler, size: 1, duration: 2 });
      const { results$, errors$ } = splitOutcomes(cold('abcd|', n).pipe(poolMap(pool, 'failIfOdd')));
      expectObservable(
        errors$.pipe(map(({ request, error }) => `${request.args[0]} ${(error as Error & { code: string }).code} ${(error.cause as Error).message}`)),
      ).toBe('--a---c-|  ', { a: '1 ERR_TASK_FAILED odd 1', c: '3 ERR_TASK_FAILED odd 3' });
      expectObservable(results$.pipe(map(({ value }) => value))).toBe('----b---(d|)', { b: 20, d: 40 });
    });
    expect(consoleErrors.spy).not.toHaveBeenCalled();
  });

  test('both streams share one subscription: the source is subscribed once and each request runs once', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks } = recording();
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const source = cold('abcd|', n);
      const { results$, errors$ } = splitOutcomes(source.pipe(poolMap(pool, 'failIfOdd')));
      expectObservable(errors$.pipe(map(({ request }) => request.args[0]))).toBe('-a-c|   ', n);
      expectObservable(results$.pipe(map(({ value }) => value))).toBe('--b-(d|)', { b: 20, d: 40 });
      expectSubscriptions(source.subscriptions).toBe('^---!');
      testScheduler.flush();
      expect(calls).toEqual([1, 2, 3, 4]);
    });
  });

  test('each request appears exactly once across the two streams', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool({ failIfOdd }, { scheduler: testScheduler, size: 2, duration: 2 });
      const { results$, errors$ } = splitOutcomes(cold('abcd|', n).pipe(poolMap(pool, 'failIfOdd')));
      expectObservable(merge(results$, errors$).pipe(map(({ request }) => request.args[0]))).toBe('--abc(d|)', n);
    });
  });

  test('with no subscriber on errors$, failures are printed with console.error rather than swallowed', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool({ failIfOdd }, { scheduler: testScheduler, size: 1, duration: 1 });
      const { results$ } = splitOutcomes(cold('abcd|', n).pipe(poolMap(pool, 'failIfOdd')));
      expectObservable(results$.pipe(map(({ value }) => value))).toBe('--b-(d|)', { b: 20, d: 40 });
    });
    expect(consoleErrors.spy).toHaveBeenCalledTimes(2);
    expect(String(consoleErrors.spy.mock.calls[0][0])).toMatch(/failed and nothing handles its error[\s\S]*RangeError: odd 1/);
    expect(String(consoleErrors.spy.mock.calls[1][0])).toMatch(/RangeError: odd 3/);
  });

  test('once errors$ unsubscribes, later failures are printed again', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool({ failIfOdd }, { scheduler: testScheduler, size: 1, duration: 1 });
      const { results$, errors$ } = splitOutcomes(cold('abcd|', n).pipe(poolMap(pool, 'failIfOdd')));
      expectObservable(errors$.pipe(map(({ request }) => request.args[0])), '^-!').toBe('-a', n);
      expectObservable(results$.pipe(map(({ value }) => value))).toBe('--b-(d|)', { b: 20, d: 40 });
    });
    expect(consoleErrors.spy).toHaveBeenCalledTimes(1);
    expect(String(consoleErrors.spy.mock.calls[0][0])).toMatch(/RangeError: odd 3/);
  });

  test('the work stops when both streams have unsubscribed: queued requests never run', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks } = recording();
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      const source = cold('abcdef|', n);
      const { results$, errors$ } = splitOutcomes(source.pipe(poolMap(pool, 'failIfOdd')));
      expectObservable(errors$.pipe(map(({ request }) => request.args[0])), '^--!  ').toBe('--a  ', n);
      expectObservable(results$.pipe(map(({ value }) => value)), '           ^----!').toBe('----b', { b: 20 });
      // the source stays subscribed until the second stream leaves
      expectSubscriptions(source.subscriptions).toBe('                          ^----!');
      testScheduler.flush();
      // a 0-2, b 2-4, c 4-6 (its outcome is dropped); d and e were queued at 5 and never ran
      expect(calls).toEqual([1, 2, 3]);
      expect(pool.stats.queued).toBe(0);
    });
  });
});
