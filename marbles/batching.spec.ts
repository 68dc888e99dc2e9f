// batch (marbles): up to n queued requests travel together; 'auto' batches only a task it has measured as instant.
import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler, valueOrE, waitOrFailTasks } from './specHelpers';

const tasks = waitOrFailTasks;
const show = valueOrE;

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('batching (marbles)', () => {
  test('batch: n sends up to n queued requests in one batch; each still yields its own outcome', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      // a runs alone (nothing else queued at 0); then b, c, d travel together and answer together, 3 frames later
      const values = { a: 0, b: 1, c: 2, d: 3 };
      expectObservable(cold('(abcd|)', values).pipe(poolMap(pool, 'failIfOdd', { batch: 3 }), show)).toBe('-a--(bcd|)', { a: 0, b: 'E', c: 2, d: 'E' });
    });
  });

  test("batch: 'auto' sends requests one by one while a task takes a frame or more", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      expectObservable(cold('(abc|)', { a: 0, b: 2, c: 4 }).pipe(poolMap(pool, 'failIfOdd'), show)).toBe('-ab(c|)', { a: 0, b: 2, c: 4 });
    });
  });

  test("batch: 'auto' batches a task it has measured as instant, splitting the queue fairly between workers", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const calls: number[] = [];
      const pool = createVirtualPool({ id: (x: number) => (calls.push(x), x) }, { scheduler: testScheduler, size: 2, duration: 0 });
      const out = cold('a(bcdefg|)', { a: 0, b: 1, c: 2, d: 3, e: 4, f: 5, g: 6 }).pipe(
        poolMap(pool, 'id'),
        map((o) => (o.ok ? o.value : -1)),
      );
      expectObservable(out).toBe('a(bcdefg|)', { a: 0, b: 1, c: 2, d: 3, e: 4, f: 5, g: 6 });
    });
  });
});
