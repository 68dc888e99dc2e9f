import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { makeRequests } from '../src';
import { poolMap, results } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler, silencedConsoleErrors } from './specHelpers';

const tasks = {
  failIfOdd(x: number): number {
    if (x % 2 === 1) throw new RangeError(`odd ${x}`);
    return x * 10;
  },
  add: (a: number, b: number): number => a + b,
};

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));
const consoleErrors = silencedConsoleErrors();

const n = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };

describe('results()', () => {
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
