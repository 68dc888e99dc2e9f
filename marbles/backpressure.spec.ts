// Backpressure (marbles): poolMap's queue: { size, overflow } refuses or drops what does not fit; pullFrom pulls only while the queue has room.
import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { Outcome, QueueFullError } from '../src';
import { poolMap, pullFrom } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = { id: (x: string): string => x };
const show = map((outcome: Outcome<readonly unknown[], unknown>) =>
  outcome.ok ? outcome.value : `${(outcome.error as QueueFullError).reason}:${outcome.request.args[0]}`,
);

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('poolMap queue option (marbles)', () => {
  // One worker, 3 frames a request, room for 1 waiting: a runs, b waits, c overflows.
  const values = { a: 'a', b: 'b', c: 'c' };

  test("overflow 'error': the arriving request ends at once with QueueFullError (reason 'full')", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 3 });
      expectObservable(cold('abc|', values).pipe(poolMap(pool, 'id', { queue: { size: 1 } }), show)).toBe('--xa--(b|)', { x: 'full:c', a: 'a', b: 'b' });
    });
  });

  test("overflow 'drop-newest': the arriving request is dropped (reason 'dropped')", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 3 });
      expectObservable(cold('abc|', values).pipe(poolMap(pool, 'id', { queue: { size: 1, overflow: 'drop-newest' } }), show)).toBe('--xa--(b|)', {
        x: 'dropped:c',
        a: 'a',
        b: 'b',
      });
    });
  });

  test("overflow 'drop-oldest': the longest-waiting request is dropped and the arriving one queued", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 3 });
      expectObservable(cold('abc|', values).pipe(poolMap(pool, 'id', { queue: { size: 1, overflow: 'drop-oldest' } }), show)).toBe('--xa--(c|)', {
        x: 'dropped:b',
        a: 'a',
        c: 'c',
      });
    });
  });

  test('a pullFrom source is pulled only while the queue has room, and never overflows', () => {
    testScheduler.run(({ expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 3 });
      const pulled: string[] = [];
      function* letters(): Generator<string> {
        for (const letter of 'abcdef') {
          pulled.push(letter);
          yield letter;
        }
      }
      const out = pullFrom(letters()).pipe(poolMap(pool, 'id', { queue: { size: 1 } }), show);
      expectObservable(out).toBe('---a--b--c--d--e--(f|)', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e', f: 'f' });
      testScheduler.schedule(() => expect(pulled).toEqual(['a', 'b', 'c']), 4);
    });
  });

  test('bad queue options are refused, naming them', () => {
    const pool = createVirtualPool(tasks, { scheduler: testScheduler });
    expect(() => poolMap(pool, 'id', { queue: { size: 0 } })).toThrow('"queue.size"');
    expect(() => poolMap(pool, 'id', { queue: { size: 2, overflow: 'explode' as never } })).toThrow('"queue.overflow"');
  });
});
