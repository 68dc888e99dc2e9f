// Priority per request (marbles): poolMap's priority as a function of the request, higher first within a pipeline and
// across pipelines, with aging so a low-priority request still runs under a steady stream of high ones.
import { concat, from, map, take, timer } from 'rxjs';
import type { Outcome } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { testScheduler, useVirtualTime } from './specHelpers';

useVirtualTime();
const tasks = { id: (x: string): string => x };
const priorities: Record<string, number> = { a: 0, b: 1, c: 5, d: 3, e: 5, l: 0, h: 1 };
const byLetter = (x: string): number => priorities[x[0]];
const show = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : `E:${outcome.error.code}`));

describe('poolMap priority per request (marbles)', () => {
  test('waiting requests leave highest first; equals first in, first out', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 2 });
      // a runs at once (the worker is idle); then c and e (5, in arrival order), d (3), b (1).
      const source = cold('(abcde|)', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e' });
      expectObservable(source.pipe(poolMap(pool, 'id', { priority: byLetter, batch: 1 }), show)).toBe('--a-c-e-d-(b|)', {
        a: 'a',
        b: 'b',
        c: 'c',
        d: 'd',
        e: 'e',
      });
    });
  });

  test('across pipelines: the pipeline whose next request has the higher priority goes first', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 2 });
      // One worker: x (number priority 0) runs first; then c (5) of the second pipeline before y (0), b (1) before y too.
      expectObservable(cold('(xy|)', { x: 'x', y: 'y' }).pipe(poolMap(pool, 'id', { batch: 1 }), show)).toBe('--x-----(y|)', { x: 'x', y: 'y' });
      expectObservable(cold('(bc|)', { b: 'b', c: 'c' }).pipe(poolMap(pool, 'id', { priority: byLetter, batch: 1 }), show)).toBe('----c-(b|)', {
        b: 'b',
        c: 'c',
      });
    });
  });

  test('aging: a priority-0 request outranks the priority-1 requests queued once 100 requests have started since it was', () => {
    testScheduler.run(({ flush }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 1 });
      // Ten high (h) requests at once, then one a frame: the low one (l) first, at frame 1. One worker runs one a frame,
      // so about ten highs always wait ahead of a newcomer.
      const source = concat(
        from(Array.from({ length: 10 }, (_, i) => `h-${i}`)),
        timer(1, 1).pipe(
          take(300),
          map((i) => (i === 0 ? 'l' : `h${i}`)),
        ),
      );
      let lowAt = -1;
      let highsBefore = 0;
      source.pipe(poolMap(pool, 'id', { priority: byLetter, batch: 1 })).subscribe((outcome) => {
        if (outcome.ok && outcome.value === 'l') lowAt = testScheduler.now();
        else if (lowAt === -1) highsBefore++;
      });
      flush();
      // Without aging it would run after all 309 highs (frame 310); with it, after the highs queued in the first ~100
      // starts since it came, and the ten ahead of them.
      expect(highsBefore).toBeGreaterThanOrEqual(100);
      expect(highsBefore).toBeLessThanOrEqual(125);
      expect(lowAt).toBeLessThanOrEqual(125);
    });
  });

  test('a priority function that throws ends that request with CallbackError; the others run', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, duration: 1 });
      const priority = (x: string): number => {
        if (x === 'b') throw new Error('no priority for b');
        return 0;
      };
      expectObservable(cold('(abd|)', { a: 'a', b: 'b', d: 'd' }).pipe(poolMap(pool, 'id', { priority, batch: 1 }), show)).toBe('xa(d|)', {
        x: 'E:ERR_CALLBACK_FAILED',
        a: 'a',
        d: 'd',
      });
    });
  });

  test('a priority function with key is refused, naming the option', () => {
    const pool = createVirtualPool(tasks, { scheduler: testScheduler });
    expect(() => poolMap(pool, 'id', { key: (x: string) => x, priority: () => 1 })).toThrow('"priority"');
    expect(() => poolMap(pool, 'id', { priority: 'high' as never })).toThrow('"priority"');
  });
});
