import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { Outcome } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = {
  wait: (frames: number): number => frames,
  failIfOdd(n: number): number {
    if (n % 2 === 1) throw new RangeError(`odd ${n}`);
    return n;
  },
};
const show = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : 'E'));
/** Each request of `wait` takes as many frames as its argument. */
const byArgument = (_task: string, args: readonly unknown[]): number => args[0] as number;

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('poolMap options (marbles)', () => {
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

  test('bad options are refused at once, naming the option', () => {
    const pool = createVirtualPool(tasks, { scheduler: testScheduler });
    expect(() => poolMap(pool, 'wait', { batch: 0 })).toThrow('"batch"');
    expect(() => poolMap(pool, 'wait', { batch: 'big' as never })).toThrow('"batch"');
    expect(() => poolMap(pool, 'wait', { ordered: { buffer: 0 } })).toThrow('"ordered.buffer"');
    expect(() => poolMap(pool, 'wait', { transfer: 5 as never })).toThrow('"transfer"');
    expect(() => poolMap(pool, 'wait', { rerunOnCrash: 'no' as never })).toThrow('"rerunOnCrash"');
    expect(() => poolMap(pool, 'wait', 7 as never)).toThrow('"poolMap options"');
  });
});
