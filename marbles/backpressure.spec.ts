// Backpressure (marbles): poolMap's queue: { size, overflow } refuses or drops what does not fit; pullFrom pulls only while the queue has room;
// the pool-wide maxQueue bounds every pipeline's queue together; cancelPending() ends what waits.
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

describe('the pool-wide queue: maxQueue (marbles)', () => {
  const values = { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e', f: 'f' };
  const showQueue = map((outcome: Outcome<readonly unknown[], unknown>) =>
    outcome.ok ? outcome.value : `${(outcome.error as QueueFullError).queue}-${(outcome.error as QueueFullError).reason}:${outcome.request.args[0]}`,
  );

  test('two pipelines share one bound: a request past it ends at once with QueueFullError (queue: pool), in whichever pipeline it arrives', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // One worker, 3 frames a request, 2 may wait over both pipelines: a runs; b and e wait; c and f find the queue full.
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 3, maxQueue: 2 });
      expectObservable(cold('abc|', values).pipe(poolMap(pool, 'id'), showQueue)).toBe('--xa--(b|)', { x: 'pool-full:c', a: 'a', b: 'b' });
      expectObservable(cold('-ef|', values).pipe(poolMap(pool, 'id'), showQueue)).toBe('--y------(e|)', { y: 'pool-full:f', e: 'e' });
    });
  });

  test('a pullFrom source waits for room in the pool-wide queue: it is pulled as requests start, and nothing overflows', () => {
    testScheduler.run(({ expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 3, maxQueue: 1 });
      const pulled: string[] = [];
      function* letters(): Generator<string> {
        for (const letter of 'abcd') {
          pulled.push(letter);
          yield letter;
        }
      }
      expectObservable(pullFrom(letters()).pipe(poolMap(pool, 'id'), showQueue)).toBe('---a--b--c--(d|)', values);
      // The first runs at once and the second waits: the third is pulled only when the second starts.
      testScheduler.schedule(() => expect(pulled).toEqual(['a', 'b']), 1);
      testScheduler.schedule(() => expect(pulled).toEqual(['a', 'b', 'c']), 4);
    });
  });

  test('cancelPending() ends every queued request, in every pipeline, with TaskCancelledError; running ones finish; later ones queue', () => {
    testScheduler.run(({ cold, flush }) => {
      // One worker, 5 frames a request: a runs from 0; e, b and c wait when cancelPending() runs at frame 3; d comes later.
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 5 });
      const seen: string[] = [];
      const record = (outcome: Outcome<readonly unknown[], unknown>): void =>
        void seen.push(`${testScheduler.now()} ${outcome.ok ? String(outcome.value) : `${outcome.error.code}:${String(outcome.request.args[0])}`}`);
      cold('abc-----d|', values).pipe(poolMap(pool, 'id')).subscribe(record);
      cold('e|', values).pipe(poolMap(pool, 'id')).subscribe(record);
      let cancelled = 0;
      testScheduler.schedule(() => (cancelled = pool.cancelPending()), 3);
      flush();
      expect(cancelled).toBe(3);
      // The pipelines' cancelled requests come in their turns' order; each pipeline's in its own order.
      expect(seen.slice(0, 3).sort()).toEqual(['3 ERR_TASK_CANCELLED:b', '3 ERR_TASK_CANCELLED:c', '3 ERR_TASK_CANCELLED:e']);
      expect(seen.slice(3)).toEqual(['5 a', '13 d']);
    });
  });

  test('a bad maxQueue is refused, naming it', () => {
    expect(() => createVirtualPool(tasks, { scheduler: testScheduler, maxQueue: 0 })).toThrow('"maxQueue"');
  });
});
