import { map, merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { TaskError } from '../src';
import { errors, poolMap, results, splitOutcomes } from '../operators';
import { createVirtualPool } from './createVirtualPool';

const tasks = {
  failIfOdd(n: number): number {
    if (n % 2 === 1) throw new RangeError(`odd ${n}`);
    return n;
  },
};

let testScheduler: TestScheduler;
let printed: jest.SpyInstance;
beforeEach(() => {
  testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => printed.mockRestore());

const n = { a: 1, b: 2, c: 3, d: 4 };

describe('results() and errors() (marbles)', () => {
  test('results() keeps the results, in time, and prints the failures it drops', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const values = cold('abcd|', n).pipe(
        poolMap(pool, 'failIfOdd'),
        results(),
        map(({ value }) => value),
      );
      expectObservable(values).toBe('--b-(d|)', { b: 2, d: 4 });
    });
    expect(printed).toHaveBeenCalledTimes(2);
    expect(String(printed.mock.calls[0][0])).toMatch(/RangeError: odd 1/);
  });

  test('errors() keeps the failures, each a TaskError carrying the thrown error', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const failures = cold('abcd|', n).pipe(
        poolMap(pool, 'failIfOdd'),
        errors(),
        map(({ request, error }) => `${request.args[0]}:${(error as TaskError).code}:${(error as TaskError).cause.name}`),
      );
      expectObservable(failures).toBe('-a-c|', { a: '1:ERR_TASK_FAILED:RangeError', c: '3:ERR_TASK_FAILED:RangeError' });
    });
    expect(printed).not.toHaveBeenCalled();
  });
});

describe('splitOutcomes (marbles)', () => {
  test('splits into a results stream and an errors stream that share one subscription', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const calls: number[] = [];
      const pool = createVirtualPool({ failIfOdd: (x: number) => (calls.push(x), tasks.failIfOdd(x)) }, { scheduler: testScheduler, size: 1, duration: 1 });
      const source = cold('abcd|', n);
      const { results$, errors$ } = splitOutcomes(source.pipe(poolMap(pool, 'failIfOdd')));
      expectObservable(errors$.pipe(map(({ request }) => request.args[0]))).toBe('-a-c|', { a: 1, c: 3 });
      expectObservable(results$.pipe(map(({ value }) => value))).toBe('--b-(d|)', { b: 2, d: 4 });
      expectSubscriptions(source.subscriptions).toBe('^---!');
      testScheduler.flush();
      expect(calls).toEqual([1, 2, 3, 4]);
    });
    expect(printed).not.toHaveBeenCalled();
  });

  test('prints failures while no one subscribes to errors$, never swallows them', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const { results$ } = splitOutcomes(cold('abcd|', n).pipe(poolMap(pool, 'failIfOdd')));
      expectObservable(results$.pipe(map(({ value }) => value))).toBe('--b-(d|)', { b: 2, d: 4 });
    });
    expect(printed).toHaveBeenCalledTimes(2);
    expect(String(printed.mock.calls[1][0])).toMatch(/failed and nothing handles its error[\s\S]*odd 3/);
  });

  test('each request appears exactly once across the two streams', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 2 });
      const { results$, errors$ } = splitOutcomes(cold('abcd|', n).pipe(poolMap(pool, 'failIfOdd')));
      const ids = merge(results$, errors$).pipe(map(({ request }) => request.args[0]));
      expectObservable(ids).toBe('--abc(d|)', n);
    });
  });
});
