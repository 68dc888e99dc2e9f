// Progress (marbles): what a generator task yields comes before its request's outcome; progress() and results() pick each kind.
import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { Outcome, Progress } from '../src';
import { poolMap, progress, results } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = {
  *steps(n: number): Generator<number, string> {
    for (let i = 1; i <= n; i++) yield i;
    return `done ${n}`;
  },
};

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('progress (marbles)', () => {
  test('progress values come before their request’s outcome; progress() and results() pick each kind', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // Each expectation subscribes on its own, so each gets its own pool.
      const items = () =>
        cold('(a|)', { a: 2 }).pipe(poolMap(createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 5 }), 'steps', { progress: true }));
      const show = map((item: Outcome<[n: number], string> | Progress<[n: number], number>) =>
        item.ok === undefined ? `p${item.progress}` : item.ok ? item.value : 'E',
      );
      expectObservable(items().pipe(show)).toBe('(xy)-(z|)', { x: 'p1', y: 'p2', z: 'done 2' });
      expectObservable(
        items().pipe(
          progress(),
          map((item) => item.progress),
        ),
      ).toBe('(xy)-|', { x: 1, y: 2 });
      expectObservable(
        items().pipe(
          results(),
          map((item) => item.value),
        ),
      ).toBe('-----(z|)', { z: 'done 2' });
    });
  });
});
