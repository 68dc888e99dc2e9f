// poolPipe (marbles): stream tasks on a virtual pool: per-key instances, flush on completion, an instance's error,
// unsubscribing, a worker ending, keyIdleTimeout and maxKeys in virtual time.
import { bufferTime, finalize, map, merge, type Observable, reduce, scan, take, tap } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { StreamOutcome } from '../src';
import { exposeTasks, type Key, streamTask } from '../src/worker';
import { poolMap, poolPipe } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

interface Click {
  readonly user: string;
  readonly n: number;
}

const finalized: (Key | undefined)[] = [];
const tasks = exposeTasks({
  /** The running count of a key's values. */
  count: streamTask((input$: Observable<Click>) => input$.pipe(scan((n) => n + 1, 0))),
  /** The sum of a key's values, when its input completes. */
  total: streamTask((input$: Observable<Click>) => input$.pipe(reduce((sum, click) => sum + click.n, 0))),
  /** Errors on a negative value. */
  picky: streamTask((input$: Observable<Click>, key) =>
    input$.pipe(
      map((click) => {
        if (click.n < 0) throw new RangeError(`negative for ${String(key)}`);
        return click.n;
      }),
      finalize(() => finalized.push(key)),
    ),
  ),
  /** A key's values, in 3-frame windows. */
  windows: streamTask((input$: Observable<Click>) =>
    input$.pipe(
      bufferTime(3),
      map((clicks) => clicks.map((click) => click.n).join('')),
    ),
  ),
  /** Stops after two values. */
  twoOnly: streamTask((input$: Observable<Click>) =>
    input$.pipe(
      take(2),
      map((click) => click.n),
    ),
  ),
  /** A plain task beside them. */
  plain: (n: number) => n + 1,
});

const user = (click: Click): string => click.user;
const show = map((outcome: StreamOutcome) =>
  outcome.ok ? `${String(outcome.key)}:${String(outcome.value)}` : `${String(outcome.key)}!${(outcome.error as { code?: string }).code}`,
);
const clicks = (text: string): Record<string, Click> => Object.fromEntries([...text].map((letter, i) => [letter, { user: letter.toLowerCase(), n: i + 1 }]));

let testScheduler: TestScheduler;
beforeEach(() => {
  testScheduler = newTestScheduler();
  finalized.length = 0;
});

describe('poolPipe (marbles)', () => {
  test('the TSDoc diagram: one instance per key, fed in order, outputs as they come', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2 });
      const values = { a: { user: 'a', n: 1 }, b: { user: 'b', n: 1 } };
      expectObservable(cold('a-b-a-a|', values).pipe(poolPipe(pool, 'count', { key: user }), show)).toBe('a-b-A-B|', {
        a: 'a:1',
        b: 'b:1',
        A: 'a:2',
        B: 'a:3',
      });
    });
  });

  test('when the source completes every instance flushes, and the output completes after the last', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2 });
      // a: 1 + 3 + 4, b: 2 + 5
      const values = { a: { user: 'a', n: 1 }, b: { user: 'b', n: 2 }, c: { user: 'a', n: 3 }, d: { user: 'a', n: 4 }, e: { user: 'b', n: 5 } };
      expectObservable(cold('abcde|', values).pipe(poolPipe(pool, 'total', { key: user }), show)).toBe('-----(xy|)', {
        x: 'a:8',
        y: 'b:7',
      });
    });
  });

  test('without a key one instance runs the whole stream', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2 });
      expectObservable(cold('abc|', clicks('abc')).pipe(poolPipe(pool, 'count'), show)).toBe('abc|', {
        a: 'undefined:1',
        b: 'undefined:2',
        c: 'undefined:3',
      });
    });
  });

  test("an error in one instance is one TaskError outcome for its key and ends that instance only; the key's next value starts afresh", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2 });
      const values = { a: { user: 'a', n: 1 }, b: { user: 'b', n: 2 }, x: { user: 'a', n: -1 }, c: { user: 'a', n: 3 }, d: { user: 'b', n: 4 } };
      expectObservable(cold('abxcd|', values).pipe(poolPipe(pool, 'picky', { key: user }), show)).toBe('abxcd|', {
        a: 'a:1',
        b: 'b:2',
        x: 'a!ERR_TASK_FAILED',
        c: 'a:3',
        d: 'b:4',
      });
    });
    expect(finalized.sort()).toEqual(['a', 'a', 'b']);
  });

  test('unsubscribing unsubscribes every instance in its worker (finalize runs there)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2 });
      const source = cold('ab---c|', clicks('abc'));
      expectObservable(source.pipe(poolPipe(pool, 'picky', { key: user }), show), '^--!').toBe('ab-', { a: 'a:1', b: 'b:2' });
    });
    expect(finalized.sort()).toEqual(['a', 'b']);
  });

  test('a source error tears every instance down (finalize runs) and is passed on', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2 });
      expectObservable(cold('ab-#', clicks('ab'), new Error('source broke')).pipe(poolPipe(pool, 'picky', { key: user }), show)).toBe(
        'ab-#',
        { a: 'a:1', b: 'b:2' },
        new Error('source broke'),
      );
    });
    expect(finalized.sort()).toEqual(['a', 'b']);
  });

  test('queue: a value that finds the queue full ends with QueueFullError for its key; the others are fed', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // One worker, each batch 4 frames, batches of one: while a is fed, b waits, and c finds the queue full.
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 4 });
      expectObservable(cold('(abc)|', clicks('abc')).pipe(poolPipe(pool, 'count', { key: user, batch: 1, queue: { size: 1 } }), show)).toBe('(ac)b---|', {
        a: 'a:1',
        c: 'c!ERR_QUEUE_FULL',
        b: 'b:1',
      });
    });
  });

  test('keyIdleTimeout completes an idle key’s input (it flushes); its next value starts a fresh instance', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1 });
      const values = { a: { user: 'a', n: 1 }, b: { user: 'a', n: 2 }, c: { user: 'a', n: 4 } };
      // a and b within 3 frames; then 5 idle frames: the total (3) comes out at 2 + 3; c starts a new instance.
      expectObservable(cold('-ab-----c|', values).pipe(poolPipe(pool, 'total', { key: user, keyIdleTimeout: 3 }), show)).toBe('-----x---(y|)', {
        x: 'a:3',
        y: 'a:4',
      });
    });
  });

  test('maxKeys: a new key past the bound completes the idlest instance (it flushes)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1 });
      // a, b live; c is a third key: a (fed least recently) completes and flushes its total at once.
      expectObservable(cold('abc|', clicks('abc')).pipe(poolPipe(pool, 'total', { key: user, maxKeys: 2 }), show)).toBe('--x(yz|)', {
        x: 'a:1',
        y: 'b:2',
        z: 'c:3',
      });
    });
  });

  test('time-based operators run in virtual time', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1 });
      expectObservable(cold('ab--c|', clicks('abc')).pipe(poolPipe(pool, 'windows'), show)).toBe('---x-(y|)', { x: 'undefined:12', y: 'undefined:3' });
    });
  });

  test('an instance that completes by itself ends quietly; its key’s next value starts a fresh one', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1 });
      expectObservable(
        cold('abc|', { a: { user: 'a', n: 1 }, b: { user: 'a', n: 2 }, c: { user: 'a', n: 3 } }).pipe(poolPipe(pool, 'twoOnly', { key: user }), show),
      ).toBe('abc|', { a: 'a:1', b: 'a:2', c: 'a:3' });
    });
  });

  test("a worker that ends under an instance: one WorkerCrashedError outcome for its key, saying how many values it had; the key's next value starts afresh", () => {
    const lost: StreamOutcome[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      // The plain task takes 100 frames: with a timeout of 3 it replaces the only virtual worker.
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: (task) => (task === 'plain' ? 100 : 1) });
      const values = { a: { user: 'a', n: 1 }, b: { user: 'a', n: 2 }, c: { user: 'a', n: 3 } };
      const stream = cold('ab---------c|', values).pipe(
        poolPipe(pool, 'count', { key: user }),
        tap((outcome) => outcome.ok || lost.push(outcome)),
      );
      // s runs from frame 2 and times out at 5: the worker holding a's instance is replaced.
      const stuck = cold('--s|', { s: 1 }).pipe(poolMap(pool, 'plain', { timeout: 3 }));
      // The instance's outcome comes as its worker ends, before the outcome of the request that timed out.
      expectObservable(merge(stuck.pipe(map(() => 'T')), stream.pipe(show))).toBe('ab---(XT)--c|', {
        a: 'a:1',
        b: 'a:2',
        T: 'T',
        X: 'a!ERR_WORKER_CRASHED',
        c: 'a:1',
      });
    });
    expect(!lost[0].ok && lost[0].error).toMatchObject({ code: 'ERR_WORKER_CRASHED', stream: { key: 'a', fed: 2 } });
  });
});
