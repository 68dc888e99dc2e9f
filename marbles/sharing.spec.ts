import { map, merge } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { Outcome, Progress } from '../src';
import { poolMap, progress, results } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = {
  work: (label: string): string => label,
  *steps(n: number): Generator<number, string> {
    for (let i = 1; i <= n; i++) yield i;
    return `done ${n}`;
  },
};
const label = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : 'E'));

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('sharing one pool (marbles)', () => {
  test('pipelines take turns by default: a flood queued first does not hold back a later pipeline', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      // Bulk queues six requests at frame 0; live sends two at frame 1.
      const bulk = cold('(abcdef|)').pipe(poolMap(pool, 'work', { batch: 1 }), label);
      const live = cold('-(xy|)').pipe(poolMap(pool, 'work', { batch: 1 }), label);
      // One worker, 2 frames each. Bulk was next in line when live arrived, so after a and b the turns
      // alternate: x, c, y; then bulk alone. Live's requests never wait for the whole flood.
      expectObservable(merge(bulk, live)).toBe('--a-b-x-c-y-d-e-(f|)');
    });
  });

  test('a pipeline with a higher priority goes first whenever it has requests waiting', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      const bulk = cold('(abcdef|)').pipe(poolMap(pool, 'work', { batch: 1 }), label);
      const live = cold('-(xy|)').pipe(poolMap(pool, 'work', { batch: 1, priority: 1 }), label);
      expectObservable(merge(bulk, live)).toBe('--a-x-y-b-c-d-e-(f|)');
    });
  });

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
