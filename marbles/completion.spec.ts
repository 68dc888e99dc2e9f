// Completion (marbles): poolMap's stream completes with its last outcome once the source has completed, as mergeMap's.
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { doubled, n, poolMapTasks, sameAsMergeMap, show, testScheduler, useVirtualTime } from './specHelpers';

useVirtualTime();
const tasks = poolMapTasks;

describe('poolMap: completion', () => {
  test('completes on the frame of the last outcome, not when the source completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 10 });
      const source = cold('a|            ', n);
      const expected = '   ----------(a|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  test('completes with the slowest request when outcomes come back out of order', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: (_task, args) => args[0] as number });
      const source = cold('(ebc|)     ', n);
      const expected = '   --bc-(e|)';
      expectObservable(source.pipe(poolMap(pool, 'double'), show)).toBe(expected, doubled);
    });
  });

  test('completes at once when the source completes with nothing pending', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1 });
      const source = cold<number>('---|');
      expectObservable(source.pipe(poolMap(pool, 'double'))).toBe('---|');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});

describe('mergeMap contract: completion', () => {
  test('completes on the frame of the last outcome when the source completed earlier', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 2,
        duration: 10,
        source: () => helpers.cold('a|            ', n),
        expected: '                 ----------(a|)',
        values: doubled,
        subs: '                     ^!            ',
      });
    });
  });

  test('completes with the source when the last outcome is already out', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 2,
        source: () => helpers.cold('a-----|', n),
        expected: '                 --a---|',
        values: doubled,
        subs: '                     ^-----!',
      });
    });
  });

  test('completes once, after the outcome, when the source completes on the frame of the last outcome', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 4,
        source: () => helpers.cold('a---|   ', n),
        expected: '                 ----(a|)',
        values: doubled,
        subs: '                     ^---!   ',
      });
    });
  });

  test('an empty source completes at once', () => {
    testScheduler.run((helpers) => {
      const { started } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () => helpers.cold<number>('|'),
        expected: '                         |',
        subs: '                             (^!)',
      });
      helpers.flush();
      expect(started).toEqual([]);
    });
  });

  test('a never source never completes and runs nothing', () => {
    testScheduler.run((helpers) => {
      const { started } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () => helpers.cold<number>('-'),
        expected: '                         -',
        subs: '                             ^',
      });
      helpers.flush();
      expect(started).toEqual([]);
    });
  });

  test('a source that never completes: outcomes flow and the stream stays open', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 2,
        source: () => helpers.cold('-a-b-  ', n),
        // b arrives at 3 while a still holds the only worker; it starts when a is out, on that frame
        expected: '                 ---a-b-',
        values: doubled,
        subs: '                     ^      ',
      });
    });
  });

  test('a source that completes before any outcome: the stream completes with the last one', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 2,
        duration: 4,
        source: () => helpers.cold('(abc|)      ', n),
        expected: '                 ----(ab)(c|)',
        values: doubled,
        subs: '                     (^!)        ',
      });
    });
  });
});
