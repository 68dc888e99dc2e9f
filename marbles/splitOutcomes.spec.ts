import { map, merge } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { poolMap, splitOutcomes } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler, silencedConsoleErrors } from './specHelpers';

function failIfOdd(x: number): number {
  if (x % 2 === 1) throw new RangeError(`odd ${x}`);
  return x * 10;
}

/** A task map whose `failIfOdd` records each call it runs. */
function recording(): { calls: number[]; tasks: { failIfOdd: (x: number) => number } } {
  const calls: number[] = [];
  return { calls, tasks: { failIfOdd: (x: number) => (calls.push(x), failIfOdd(x)) } };
}

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));
const consoleErrors = silencedConsoleErrors();

const n = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };

describe('splitOutcomes', () => {
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
