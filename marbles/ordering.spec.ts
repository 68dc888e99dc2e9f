// ordered (marbles): outcomes in request order, holding back the early ones; { buffer } bounds how many are held.
import type { TestScheduler } from 'rxjs/testing';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler, valueOrE, waitOrFailTasks } from './specHelpers';

const tasks = waitOrFailTasks;
const show = valueOrE;
/** Each request of `wait` takes as many frames as its argument. */
const byArgument = (_task: string, args: readonly unknown[]): number => args[0] as number;

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('ordering (marbles)', () => {
  test('ordered: true emits outcomes in request order, holding back the early ones', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const unorderedPool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: byArgument });
      const orderedPool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: byArgument });
      // a takes 5 frames, b 1, c 2: unordered they finish b, c, a
      const values = { a: 5, b: 1, c: 2 };
      expectObservable(cold('(abc|)', values).pipe(poolMap(unorderedPool, 'wait'), show)).toBe('-bc--(a|)', values);
      expectObservable(cold('(abc|)', values).pipe(poolMap(orderedPool, 'wait', { ordered: true }), show)).toBe('-----(abc|)', values);
    });
  });

  test('ordered: { buffer } bounds how many requests run or wait for an earlier one', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: byArgument });
      // buffer 2: a and b start at 0; a is out at 2, so c starts; c finishes at 3 but waits behind b,
      // which holds the second place, so d starts only when b and c are out at 4 (with 3 workers and
      // no bound it would have started at 0)
      const values = { a: 2, b: 4, c: 1, d: 4 };
      expectObservable(cold('(abcd|)', values).pipe(poolMap(pool, 'wait', { ordered: { buffer: 2 } }), show)).toBe('--a-(bc)(d|)', values);
    });
  });
});
