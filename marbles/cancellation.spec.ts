// Cancellation (marbles): unsubscribing (explicitly, by take or takeUntil) drops queued requests; cancel: 'terminate' frees the worker at once.
import { map, take } from 'rxjs';
import type { Outcome } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { doubled, n, recording, sameAsMergeMap, show, testScheduler, useVirtualTime } from './specHelpers';

useVirtualTime();

describe('poolMap: unsubscription', () => {
  test('unsubscribing drops queued requests (they never start) and frees the pool for the next pipeline', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks: recorded } = recording();
      const pool = createVirtualPool(recorded, { scheduler: testScheduler, size: 1, duration: 3 });
      const queued: number[] = [];
      // scheduled first, so these run before anything else on their frame
      testScheduler.schedule(() => void queued.push(pool.stats.queued), 4);
      testScheduler.schedule(() => void queued.push(pool.stats.queued), 5);
      const source = cold('abcdef|', n);
      const sub = '        ^---!  ';
      // a 0-3; b starts at 3 and still runs when we leave at 4; c and d were queued
      expectObservable(source.pipe(poolMap(pool, 'double'), show), sub).toBe('---a', doubled);
      expectSubscriptions(source.subscriptions).toBe(sub);
      // the next pipeline, from 5: the worker is free once b is done (6)
      const next = cold('     x|     ', { x: 10 });
      expectObservable(next.pipe(poolMap(pool, 'double'), show), '-----^').toBe('---------(x|)', { x: 20 });
      expectSubscriptions(next.subscriptions).toBe('-----^!');
      testScheduler.flush();
      expect(queued).toEqual([2, 0]);
      expect(calls).toEqual([1, 2, 10]);
      expect(pool.stats).toMatchObject({ workers: 1, busy: 0, queued: 0, completed: 3, failed: 0 });
    });
  });

  test('take(n) downstream unsubscribes and the remaining requests never run', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks: recorded } = recording();
      const pool = createVirtualPool(recorded, { scheduler: testScheduler, size: 2, duration: 2 });
      const source = cold('abcdef|', n);
      expectObservable(source.pipe(poolMap(pool, 'double'), take(3), show)).toBe('--ab(c|)', doubled);
      expectSubscriptions(source.subscriptions).toBe('^---!');
      testScheduler.flush();
      // d was already running when c arrived; e was queued and dropped
      expect(calls).toEqual([1, 2, 3, 4]);
      expect(pool.stats.queued).toBe(0);
    });
  });
});

describe('mergeMap contract: unsubscription chains', () => {
  test('an explicit unsubscription marble is passed up through map → poolMap → map to the source', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 2,
        duration: 6,
        source: () => helpers.hot('-a---b---c---d---e---|', n),
        around: (stage) => (source) =>
          source.pipe(
            map((x) => x),
            stage,
            map((x) => x),
          ),
        // a 1-7, b 5-11, c 9-15, d 13-19: c and d are running when the output is unsubscribed at 14
        expected: '                -------a---b---        ',
        unsub: '                   ^-------------!        ',
        values: doubled,
        subs: '                    ^-------------!        ',
      });
      helpers.flush();
      expect(started).toEqual([1, 2, 3, 4]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('unsubscribing while requests are queued and running: no outcome after it, the queued ones never start', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () => helpers.cold('abcdef|', n),
        // a 0-3; b runs from 3 when the output leaves at 4; c and d wait
        expected: '                 ---a   ',
        unsub: '                    ^---!   ',
        values: doubled,
        subs: '                     ^---!   ',
      });
      // at 5 c and d are gone from the queue while b still holds the worker (poolMap lets it finish, unseen)
      let atFrame5: object | undefined;
      testScheduler.schedule(() => void (atFrame5 = { queued: pool.stats.queued, busy: pool.stats.busy }), 5);
      helpers.flush();
      expect(started).toEqual([1, 2]);
      expect(started).toEqual(referenceStarted);
      expect(atFrame5).toEqual({ queued: 0, busy: 1 });
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('take(n) downstream unsubscribes the source on the frame of the n-th outcome', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 2,
        duration: 2,
        source: () => helpers.cold('abcdef|', n),
        around: (stage) => (source) => source.pipe(stage, take(3)),
        expected: '                 --ab(c|)',
        values: doubled,
        subs: '                     ^---!   ',
      });
      helpers.flush();
      // d was running when c came out; e had just been queued and never starts
      expect(started).toEqual([1, 2, 3, 4]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });
});

describe('cancel (marbles)', () => {
  const tasks = { wait: (frames: number): number => frames };
  /** Each request takes as many frames as its argument. */
  const byArgument = (_task: string, args: readonly unknown[]): number => args[0] as number;
  const show = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : outcome.error.name));

  test("cancel: 'terminate' frees the worker at unsubscription; 'abandon' lets the running request finish first", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const terminating = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: byArgument });
      const abandoning = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: byArgument });
      // The first pipeline runs a 10-frame request and is unsubscribed at frame 2; the next starts at frame 3.
      expectObservable(cold('a', { a: 10 }).pipe(poolMap(terminating, 'wait', { cancel: 'terminate' })), '--!').toBe('');
      expectObservable(cold('---(b|)', { b: 2 }).pipe(poolMap(terminating, 'wait'), show)).toBe('-----(b|)', { b: 2 });
      expectObservable(cold('a', { a: 10 }).pipe(poolMap(abandoning, 'wait')), '--!').toBe('');
      expectObservable(cold('---(b|)', { b: 2 }).pipe(poolMap(abandoning, 'wait'), show)).toBe('------------(b|)', { b: 2 });
    });
  });
});
