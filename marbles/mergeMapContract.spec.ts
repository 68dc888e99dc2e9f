/**
 * RxJS's mergeMap contract, run against poolMap.
 *
 * `source.pipe(poolMap(pool, task))` on a virtual pool of `size` workers
 * whose requests take `duration` frames stands for
 *
 *     source.pipe(mergeMap((x) => timer(duration).pipe(map(() => task(x))), size))
 *
 * so each case sends the same source marble through both and expects the
 * same output marbles and the same subscription marbles on the source.
 * Where poolMap deliberately differs (a failing request is an outcome, not
 * an error of the stream; an abandoned request keeps its worker until it
 * ends), the case asserts poolMap's contract and its comment says how
 * mergeMap differs.
 *
 * The cases follow the themes of RxJS 7's own specs (spec/operators/
 * mergeMap-spec.ts, concatMap-spec.ts, mergeAll-spec.ts): concurrency,
 * completion, errors, unsubscription chains, synchronous sources, re-entrancy,
 * finalization, and the operators one puts around a mergeMap.
 */
import {
  catchError,
  concat,
  concatMap,
  config,
  defer,
  finalize,
  from,
  map,
  mergeMap,
  Observable,
  of,
  type OperatorFunction,
  range,
  retry,
  share,
  startWith,
  Subject,
  switchMap,
  take,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs';
import type { RunHelpers, TestScheduler } from 'rxjs/testing';
import type { Failure, Outcome, Pool } from '../src';
import { poolMap, type PoolMapOptions } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

// ---------------------------------------------------------------------------
// Tasks, pools and the two pipelines
// ---------------------------------------------------------------------------

const double = (x: number): number => x * 2;
function failIfOdd(x: number): number {
  if (x % 2 === 1) throw new RangeError(`odd ${x}`);
  return x;
}

type Tasks = {
  double: (x: number) => number;
  failIfOdd: (x: number) => number;
};
type TaskName = 'double' | 'failIfOdd';
type StageOptions = Omit<PoolMapOptions<[x: number]>, 'progress'>;

/** Frames a request of `x` takes: a number, or a function of `x`. */
type Frames = number | ((x: number) => number);
const framesOf = (frames: Frames, x: number): number => (typeof frames === 'number' ? frames : frames(x));

type AnyOutcome = Outcome<readonly unknown[], unknown>;
const codeOf = (outcome: AnyOutcome): string => (outcome.ok ? '' : String((outcome.error as Error & { code?: unknown }).code));
/** An outcome as a marble value: the result, or `E:` and the error's code (what the reference emits). */
const show = map((outcome: AnyOutcome): unknown => (outcome.ok ? outcome.value : `E:${codeOf(outcome)}`));
/** An outcome as a marble value naming its request: `1=2` (argument 1 gave 2) or `3!ERR_…`. */
const label = map((outcome: AnyOutcome): string =>
  outcome.ok ? `${outcome.request.args[0]}=${outcome.value}` : `${outcome.request.args[0]}!${codeOf(outcome)}`,
);

let testScheduler: TestScheduler;
let pools: Pool<Tasks>[];
let unhandled: unknown[];

beforeEach(() => {
  testScheduler = newTestScheduler();
  pools = [];
  unhandled = [];
  // An error thrown inside a subscriber's callback is reported here (on the virtual clock, in run mode)
  // instead of being thrown later; no case may leave one.
  config.onUnhandledError = (error) => unhandled.push(error);
});

afterEach(async () => {
  config.onUnhandledError = null;
  await Promise.all(pools.map((pool) => pool.close()));
  expect(unhandled).toEqual([]);
});

/** A virtual pool whose tasks record the argument of each request they start (and tell `onStart`). */
function openPool(size: number, duration: Frames, onStart?: (x: number) => void): { pool: Pool<Tasks>; started: number[] } {
  const started: number[] = [];
  const start = (x: number): void => {
    started.push(x);
    onStart?.(x);
  };
  const tasks: Tasks = {
    double: (x: number) => (start(x), double(x)),
    failIfOdd: (x: number) => (start(x), failIfOdd(x)),
  };
  const pool = createVirtualPool(tasks, {
    scheduler: testScheduler,
    size,
    duration: typeof duration === 'number' ? duration : (_task, args) => duration(args[0] as number),
  });
  pools.push(pool);
  return { pool, started };
}

/** The poolMap pipeline: outcomes mapped to comparable values by `show`. */
function viaPool(pool: Pool<Tasks>, task: TaskName = 'double', options: StageOptions = {}): OperatorFunction<number, unknown> {
  return (source) => source.pipe(poolMap(pool, task, options), show);
}

/**
 * The mergeMap pipeline poolMap stands for: each value becomes an inner that
 * starts (`started`, `onStart`), waits `duration` frames, emits `f(x)` and completes;
 * at most `size` inners at once, the others buffered in arrival order.
 */
function reference(
  size: number,
  duration: Frames,
  started: number[] = [],
  f: (x: number) => unknown = double,
  onStart?: (x: number) => void,
): OperatorFunction<number, unknown> {
  return mergeMap(
    (x: number) =>
      defer(() => {
        started.push(x);
        onStart?.(x);
        return timer(framesOf(duration, x)).pipe(map(() => f(x)));
      }),
    size,
  );
}

type Logs = Parameters<RunHelpers['expectSubscriptions']>[0];
/** A source for a case: cold and hot observables carry their subscription log. */
type Source = Observable<number> & { readonly subscriptions?: Logs };

interface Case {
  readonly size: number;
  readonly duration: Frames;
  /** Makes the source; called once for each pipeline, so each has its own subscription log. */
  readonly source: () => Source;
  readonly expected: string;
  readonly values?: Record<string, unknown>;
  readonly error?: unknown;
  /** The source's subscription marbles, the same for both pipelines. */
  readonly subs?: string | string[];
  /** Unsubscription marble of the output. */
  readonly unsub?: string;
  /** The operators around the stage (poolMap or its mergeMap): default none. */
  readonly around?: (stage: OperatorFunction<number, unknown>) => OperatorFunction<number, unknown>;
}

/**
 * Runs one case through poolMap and through its mergeMap, with the same
 * expectations for both. Returns the arguments each side started, in order.
 */
function sameAsMergeMap(helpers: RunHelpers, c: Case): { pool: Pool<Tasks>; started: number[]; referenceStarted: number[] } {
  const { pool, started } = openPool(c.size, c.duration);
  const referenceStarted: number[] = [];
  const around = c.around ?? ((stage) => stage);
  const viaPoolSource = c.source();
  const viaMergeMapSource = c.source();
  helpers.expectObservable(viaPoolSource.pipe(around(viaPool(pool))), c.unsub).toBe(c.expected, c.values, c.error);
  helpers.expectObservable(viaMergeMapSource.pipe(around(reference(c.size, c.duration, referenceStarted))), c.unsub).toBe(c.expected, c.values, c.error);
  if (c.subs !== undefined) {
    if (!viaPoolSource.subscriptions || !viaMergeMapSource.subscriptions) throw new Error('subs needs a cold or hot source');
    helpers.expectSubscriptions(viaPoolSource.subscriptions).toBe(c.subs);
    helpers.expectSubscriptions(viaMergeMapSource.subscriptions).toBe(c.subs);
  }
  return { pool, started, referenceStarted };
}

/** A synchronous source of 1, 2, … `cap` that stops as soon as its subscriber is closed, counting what it emitted. */
function counted(counter: { n: number }, cap = 20): Observable<number> {
  return new Observable<number>((subscriber) => {
    for (let i = 1; i <= cap && !subscriber.closed; i++) {
      counter.n++;
      subscriber.next(i);
    }
    subscriber.complete();
  });
}

/** Emits when `signal` aborts. */
function aborted(signal: AbortSignal): Observable<void> {
  return new Observable<void>((subscriber) => {
    const onAbort = (): void => subscriber.next();
    signal.addEventListener('abort', onAbort);
    return () => signal.removeEventListener('abort', onAbort);
  });
}

const n = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8 };
const doubled = { a: 2, b: 4, c: 6, d: 8, e: 10, f: 12, g: 14, h: 16 };
const numbers = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

// ---------------------------------------------------------------------------

describe('mergeMap contract: concurrency', () => {
  test('size 1 runs one request at a time, like concatMap (and mergeMap with concurrent 1)', () => {
    testScheduler.run((helpers) => {
      const { hot, expectObservable } = helpers;
      const { started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 4,
        source: () => hot('-a--b--c---|            ', n),
        expected: '        -----a---b---(c|)',
        values: doubled,
        subs: '            ^----------!            ',
      });
      // and concatMap of the same inners gives the same marble
      expectObservable(hot('-a--b--c---|', n).pipe(concatMap((x) => timer(4).pipe(map(() => double(x)))))).toBe('-----a---b---(c|)', doubled);
      helpers.flush();
      expect(started).toEqual([1, 2, 3]);
      expect(started).toEqual(referenceStarted);
    });
  });

  test('size 2 runs two requests at once; a third waits for the first free worker', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 2,
        duration: 4,
        source: () => helpers.hot('-a--b--c---|  ', n),
        // a 1-5, b 4-8; c arrives at 7, a's worker has been free since 5: c 7-11
        expected: '                -----a--b--(c|)',
        values: doubled,
        subs: '                    ^----------!  ',
      });
    });
  });

  test('size 2 over a burst: outcomes arrive in pairs', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 2,
        duration: 4,
        source: () => helpers.cold('(abcde|)        ', n),
        expected: '                 ----(ab)(cd)(e|)',
        values: doubled,
        subs: '                     (^!)            ',
      });
    });
  });

  test('size 3 over a burst: outcomes arrive in threes', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 3,
        duration: 5,
        source: () => helpers.cold('(abcdefg|)         ', n),
        expected: '                 -----(abc)(def)(g|)',
        values: doubled,
        subs: '                     (^!)               ',
      });
    });
  });

  test('size 3 with durations that differ: outcomes come as requests finish, out of order, and a freed worker takes the next one', () => {
    testScheduler.run((helpers) => {
      const values = { a: 7, b: 1, c: 3, d: 2 };
      sameAsMergeMap(helpers, {
        size: 3,
        duration: (x) => x,
        source: () => helpers.cold('(abcd|)    ', values),
        // a 0-7, b 0-1, c 0-3; d starts on b's worker at 1 and ends at 3, after c
        expected: '                 -b-(cd)(a|)',
        values: { a: 14, b: 2, c: 6, d: 4 },
        subs: '                     (^!)       ',
      });
    });
  });

  test('a running pipeline follows createWorkers and dismissWorkers without resubscribing', () => {
    // No mergeMap counterpart: its concurrency is fixed when it is subscribed. The expectation is
    // mergeMap(…, 1) until frame 2, mergeMap(…, 2) from 2, and one worker again once e's worker retires.
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const { pool, started } = openPool(1, 4);
      testScheduler.schedule(() => void pool.createWorkers(1), 2);
      testScheduler.schedule(() => void pool.dismissWorkers(1), 9);
      const source = cold('abcdefgh|                 ', n);
      // W1: a 0-4, c 4-8, e 8-12 (dismissed at 9 while running e: retires after it)
      // W2 (from 2): b 2-6, d 6-10, f 10-14, g 14-18, h 18-22
      const expected = '   ----a-b-c-d-e-f---g---(h|)';
      expectObservable(source.pipe(viaPool(pool))).toBe(expected, doubled);
      expectSubscriptions(source.subscriptions).toBe('^-------!');
      flush();
      expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(pool.stats).toMatchObject({ workers: 1, busy: 0, queued: 0, pipelines: [] });
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

describe('mergeMap contract: source errors', () => {
  test('a just-throw source errors at once', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () => helpers.cold<number>('#'),
        expected: '                         #',
        subs: '                             (^!)',
      });
    });
  });

  test('a source error is passed on at once: the running request’s outcome never arrives, the queued one never starts', () => {
    testScheduler.run((helpers) => {
      const boom = new Error('source failed');
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 5,
        source: () => helpers.cold('ab#', n, boom),
        expected: '                 --#',
        error: boom,
        subs: '                     ^-!',
      });
      // poolMap (cancel 'abandon') lets a finish on its worker and drops its outcome; mergeMap disposes of
      // a's timer at once. Either way nothing of a or b reaches the output.
      const busy: number[] = [];
      testScheduler.schedule(() => void busy.push(pool.stats.busy), 3);
      testScheduler.schedule(() => void busy.push(pool.stats.busy), 6);
      helpers.flush();
      expect(started).toEqual([1]);
      expect(started).toEqual(referenceStarted);
      expect(busy).toEqual([1, 0]);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('a synchronous source that emits and then errors: the error comes out at once, only the first request started', () => {
    testScheduler.run((helpers) => {
      const boom = new Error('source failed');
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () =>
          concat(
            of(1, 2),
            throwError(() => boom),
          ),
        expected: '#',
        error: boom,
      });
      helpers.flush();
      expect(started).toEqual([1]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('a source error after some outcomes keeps them and errors on its frame', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 2,
        source: () => helpers.cold('a-b---#', n),
        expected: '                 --a-b-#',
        values: doubled,
        subs: '                     ^-----!',
      });
    });
  });

  test('a request whose task throws yields a failure outcome and the stream goes on (mergeMap: the inner error errors the stream)', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { pool } = openPool(1, 1);
      const failed = 'E:ERR_TASK_FAILED';
      const values = { a: failed, b: 2, c: failed };
      const source = cold('abc|   ', n);
      const expected = '   -ab(c|)';
      expectObservable(source.pipe(viaPool(pool, 'failIfOdd'))).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
      // poolMap's pipeline is mergeMap with the inner's error caught into a value …
      const caught = cold('abc|', n).pipe(
        mergeMap(
          (x) =>
            timer(1).pipe(
              map(() => failIfOdd(x)),
              catchError(() => of(failed)),
            ),
          1,
        ),
      );
      expectObservable(caught).toBe(expected, values);
      // … while a plain mergeMap errors the whole stream at the first throwing inner
      const plain = cold('abc|', n).pipe(mergeMap((x) => timer(1).pipe(map(() => failIfOdd(x))), 1));
      expectObservable(plain).toBe('-#', undefined, new RangeError('odd 1'));
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

describe('mergeMap contract: synchronous sources', () => {
  const openPoolSources: [string, () => Observable<number>][] = [
    ['of(1, 2, 3)', () => of(1, 2, 3)],
    ['from([1, 2, 3])', () => from([1, 2, 3])],
    [
      'from(generator)',
      () =>
        from(
          (function* () {
            yield* [1, 2, 3];
          })(),
        ),
    ],
    ['range(1, 3)', () => range(1, 3)],
  ];

  test.each(openPoolSources)('%s on an open pool: the same waves as mergeMap', (_name, source) => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, { size: 2, duration: 4, source, expected: '----(ab)(c|)', values: doubled });
    });
  });

  test('take(n) after a synchronous source on an open pool: the rest of the queue is dropped when the output closes', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 2,
        duration: 4,
        source: () => from(numbers(6)),
        around: (stage) => (source) => source.pipe(stage, take(3)),
        expected: '----(ab)(c|)',
        values: doubled,
      });
      helpers.flush();
      expect(started).toEqual([1, 2, 3, 4]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  const countingSources: [string, (counter: { n: number }) => Observable<number>][] = [
    ['an Observable that checks subscriber.closed', (counter) => counted(counter)],
    ['of(1, …, 20)', (counter) => of(...numbers(20)).pipe(tap(() => counter.n++))],
    ['from([1, …, 20])', (counter) => from(numbers(20)).pipe(tap(() => counter.n++))],
    ['range(1, 20)', (counter) => range(1, 20).pipe(tap(() => counter.n++))],
  ];

  test.each(countingSources)('a closed pool fails every request at once; take(3) stops the synchronous source after 3 values: %s', (_name, source) => {
    testScheduler.run(({ expectObservable, flush }) => {
      const { pool, started } = openPool(1, 3);
      void pool.close();
      const closed = 'E:ERR_POOL_CLOSED';
      const viaPoolCount = { n: 0 };
      const referenceCount = { n: 0 };
      expectObservable(source(viaPoolCount).pipe(viaPool(pool), take(3))).toBe('(eee|)', { e: closed });
      // The reference: each request's inner gives its failure synchronously. (An inner that *errors*
      // synchronously, throwError, would error mergeMap's stream at the first value and stop the source at 1.)
      expectObservable(
        source(referenceCount).pipe(
          mergeMap(() => of(closed)),
          take(3),
        ),
      ).toBe('(eee|)', { e: closed });
      flush();
      expect(referenceCount.n).toBe(3);
      expect(viaPoolCount.n).toBe(3);
      expect(started).toEqual([]);
      expect(pool.stats.pipelines).toEqual([]);
    });
  });

  test('a closed pool and from(generator) with take(1): the generator is not pulled further, and is finalized', () => {
    testScheduler.run(({ expectObservable, flush }) => {
      const { pool } = openPool(1, 3);
      void pool.close();
      const closed = 'E:ERR_POOL_CLOSED';
      const make = (): { source: Observable<number>; state: { pulled: number; finalized: boolean } } => {
        const state = { pulled: 0, finalized: false };
        function* generate(): Generator<number> {
          try {
            for (let i = 1; i <= 20; i++) {
              state.pulled++;
              yield i;
            }
          } finally {
            state.finalized = true;
          }
        }
        return { source: from(generate()), state };
      };
      const viaPoolSide = make();
      const referenceSide = make();
      expectObservable(viaPoolSide.source.pipe(viaPool(pool), take(1))).toBe('(e|)', { e: closed });
      expectObservable(
        referenceSide.source.pipe(
          mergeMap(() => of(closed)),
          take(1),
        ),
      ).toBe('(e|)', { e: closed });
      flush();
      expect(referenceSide.state).toEqual({ pulled: 1, finalized: true });
      expect(viaPoolSide.state).toEqual({ pulled: 1, finalized: true });
    });
  });

  test('signal aborted from inside the source’s emission: the stream completes at once, the source stops, no outcome follows', () => {
    testScheduler.run(({ expectObservable, flush }) => {
      const { pool, started } = openPool(1, 2);
      /** A synchronous source that aborts `controller` right after emitting 3. */
      const abortingAfter3 = (controller: AbortController, counter: { n: number }): Observable<number> =>
        new Observable<number>((subscriber) => {
          for (let i = 1; i <= 20 && !subscriber.closed; i++) {
            counter.n++;
            subscriber.next(i);
            if (i === 3) controller.abort();
          }
          subscriber.complete();
        });
      const viaPoolAbort = new AbortController();
      const referenceAbort = new AbortController();
      const viaPoolCount = { n: 0 };
      const referenceCount = { n: 0 };
      const referenceStarted: number[] = [];
      expectObservable(abortingAfter3(viaPoolAbort, viaPoolCount).pipe(poolMap(pool, 'double', { signal: viaPoolAbort.signal }), show)).toBe('|');
      // The reference of `signal`: the mergeMap pipeline taken until the signal aborts
      expectObservable(abortingAfter3(referenceAbort, referenceCount).pipe(reference(1, 2, referenceStarted), takeUntil(aborted(referenceAbort.signal)))).toBe(
        '|',
      );
      flush();
      expect(referenceCount.n).toBe(3);
      expect(viaPoolCount.n).toBe(3);
      expect(started).toEqual([1]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('signal aborted at a frame: the stream completes on it and the running request’s outcome is dropped', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const { pool, started } = openPool(1, 3);
      const viaPoolAbort = new AbortController();
      const referenceAbort = new AbortController();
      testScheduler.schedule(() => (viaPoolAbort.abort(), referenceAbort.abort()), 4);
      const marble = '  ab----|';
      const expected = '---a|   ';
      const subs = '    ^---!   ';
      const viaPoolSource = cold(marble, n);
      const referenceSource = cold(marble, n);
      const referenceStarted: number[] = [];
      expectObservable(viaPoolSource.pipe(poolMap(pool, 'double', { signal: viaPoolAbort.signal }), show)).toBe(expected, doubled);
      expectObservable(referenceSource.pipe(reference(1, 3, referenceStarted), takeUntil(aborted(referenceAbort.signal)))).toBe(expected, doubled);
      expectSubscriptions(viaPoolSource.subscriptions).toBe(subs);
      expectSubscriptions(referenceSource.subscriptions).toBe(subs);
      flush();
      expect(started).toEqual([1, 2]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test.each(countingSources)(
    "queue { size: 2 } overflow 'error' and take(2): two refusals close the output and stop the synchronous source: %s",
    (_name, source) => {
      // No mergeMap counterpart: mergeMap buffers without bound. One worker: 1 runs, 2 and 3 wait, 4 and 5 are
      // refused at once (QueueFullError) and take(2) closes the output on the second refusal, so the source must stop at 5.
      testScheduler.run(({ expectObservable, flush }) => {
        const { pool, started } = openPool(1, 3);
        const counter = { n: 0 };
        const out = source(counter).pipe(poolMap(pool, 'double', { queue: { size: 2 } }), label, take(2));
        expectObservable(out).toBe('(xy|)', { x: '4!ERR_QUEUE_FULL', y: '5!ERR_QUEUE_FULL' });
        flush();
        expect(counter.n).toBe(5);
        expect(started).toEqual([1]);
        expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
      });
    },
  );
});

describe('mergeMap contract: re-entrancy', () => {
  /** Subscribes `stage` to a Subject started with 1; each outcome (2x) feeds x + 1 back until x = 4, then completes it. */
  function feedBackFromSubscriber(stage: OperatorFunction<number, unknown>): string[] {
    const log: string[] = [];
    const requests = new Subject<number>();
    requests.pipe(startWith(1), stage).subscribe({
      next: (value) => {
        log.push(`${testScheduler.now()} ${value}`);
        const x = (value as number) / 2;
        if (x < 4) requests.next(x + 1);
        else requests.complete();
      },
      error: (error) => log.push(`${testScheduler.now()} error ${error}`),
      complete: () => log.push(`${testScheduler.now()} |`),
    });
    return log;
  }

  test('a Subject source nexted from inside the output’s subscriber: each outcome brings the next request', () => {
    testScheduler.run(({ flush }) => {
      const { pool } = openPool(1, 2);
      const viaPoolLog = feedBackFromSubscriber(viaPool(pool));
      const referenceLog = feedBackFromSubscriber(reference(1, 2));
      flush();
      expect(referenceLog).toEqual(['2 2', '4 4', '6 6', '8 8', '8 |']);
      expect(viaPoolLog).toEqual(referenceLog);
    });
  });

  test('completing the source from inside an outcome’s emission does not cut that outcome off', () => {
    // The feedback runs in a tap, before the outcome travels on: the source completes while the last
    // outcome is being emitted, and that outcome must still come out before the completion.
    testScheduler.run(({ expectObservable }) => {
      const { pool } = openPool(1, 2);
      const feedBack = (stage: OperatorFunction<number, unknown>): Observable<unknown> => {
        const requests = new Subject<number>();
        return requests.pipe(
          startWith(1),
          stage,
          tap((value) => {
            const x = (value as number) / 2;
            if (x < 4) requests.next(x + 1);
            else requests.complete();
          }),
        );
      };
      const expected = '--a-b-c-(d|)';
      expectObservable(feedBack(viaPool(pool))).toBe(expected, doubled);
      expectObservable(feedBack(reference(1, 2))).toBe(expected, doubled);
    });
  });

  test('outcomes that feed two requests each (an expand-like tree) over two workers, the source completed from inside an emission', () => {
    testScheduler.run(({ flush }) => {
      const { pool } = openPool(2, 2);
      const tree = (stage: OperatorFunction<number, unknown>): string[] => {
        const log: string[] = [];
        const requests = new Subject<number>();
        let fed = 1;
        requests.pipe(startWith(1), stage).subscribe({
          next: (value) => {
            const x = (value as number) / 2;
            log.push(`${testScheduler.now()} ${x}`);
            if (x >= 4) return;
            requests.next(2 * x);
            requests.next(2 * x + 1);
            fed += 2;
            if (fed === 7) requests.complete();
          },
          complete: () => log.push(`${testScheduler.now()} |`),
        });
        return log;
      };
      const viaPoolLog = tree(viaPool(pool));
      const referenceLog = tree(reference(2, 2));
      flush();
      expect(referenceLog).toEqual(['2 1', '4 2', '4 3', '6 4', '6 5', '8 6', '8 7', '8 |']);
      expect(viaPoolLog).toEqual(referenceLog);
    });
  });
});

describe('mergeMap contract: finalize order', () => {
  /** A log of entries stamped with their frame. */
  function logger(): { readonly entries: string[]; readonly log: (entry: string) => void } {
    const entries: string[] = [];
    return { entries, log: (entry) => void entries.push(`${testScheduler.now()} ${entry}`) };
  }

  /**
   * Subscribes `source → finalize → stage → finalize`, logging the outcomes, the end and both finalizers;
   * `atOutputFinalize` runs first in the output's finalizer.
   */
  function subscribeLogged(
    source: Observable<number>,
    stage: OperatorFunction<number, unknown>,
    log: (entry: string) => void,
    atOutputFinalize?: () => void,
  ): { unsubscribe(): void } {
    return source
      .pipe(
        finalize(() => log('source finalized')),
        stage,
        finalize(() => {
          atOutputFinalize?.();
          log('output finalized');
        }),
      )
      .subscribe({
        next: (value) => log(`next ${value}`),
        error: (error: Error) => log(`error ${error.message}`),
        complete: () => log('complete'),
      });
  }

  test('the source is finalized when it completes, the output after the last outcome and its completion; the pipeline is closed by then', () => {
    testScheduler.run(({ cold, flush }) => {
      const viaPoolSide = logger();
      const referenceSide = logger();
      const { pool } = openPool(1, 3, (x) => viaPoolSide.log(`start ${x}`));
      let pipelinesAtFinalize = -1;
      subscribeLogged(cold('ab|', n), viaPool(pool), viaPoolSide.log, () => (pipelinesAtFinalize = pool.stats.pipelines.length));
      subscribeLogged(
        cold('ab|', n),
        reference(1, 3, [], double, (x) => referenceSide.log(`start ${x}`)),
        referenceSide.log,
      );
      flush();
      // as in concatMap's "finalize before moving to the next": b starts only once a's outcome is out
      expect(referenceSide.entries).toEqual(['0 start 1', '2 source finalized', '3 next 2', '3 start 2', '6 next 4', '6 complete', '6 output finalized']);
      expect(viaPoolSide.entries).toEqual(referenceSide.entries);
      expect(pipelinesAtFinalize).toBe(0);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('on unsubscription, the source is finalized, then the output, on that frame', () => {
    testScheduler.run(({ cold, flush }) => {
      const viaPoolSide = logger();
      const referenceSide = logger();
      const { pool } = openPool(1, 3, (x) => viaPoolSide.log(`start ${x}`));
      const viaPoolSubscription = subscribeLogged(cold('abcdef|', n), viaPool(pool), viaPoolSide.log);
      const referenceSubscription = subscribeLogged(
        cold('abcdef|', n),
        reference(1, 3, [], double, (x) => referenceSide.log(`start ${x}`)),
        referenceSide.log,
      );
      testScheduler.schedule(() => (viaPoolSubscription.unsubscribe(), referenceSubscription.unsubscribe()), 4);
      flush();
      expect(referenceSide.entries).toEqual(['0 start 1', '3 next 2', '3 start 2', '4 source finalized', '4 output finalized']);
      expect(viaPoolSide.entries).toEqual(referenceSide.entries);
      expect(pool.stats).toMatchObject({ queued: 0, pipelines: [] });
    });
  });

  test('on a source error, the error reaches the output first, then the source and the output are finalized', () => {
    testScheduler.run(({ cold, flush }) => {
      const viaPoolSide = logger();
      const referenceSide = logger();
      const { pool } = openPool(1, 5, (x) => viaPoolSide.log(`start ${x}`));
      const boom = new Error('boom');
      subscribeLogged(cold('a-#', n, boom), viaPool(pool), viaPoolSide.log);
      subscribeLogged(
        cold('a-#', n, boom),
        reference(1, 5, [], double, (x) => referenceSide.log(`start ${x}`)),
        referenceSide.log,
      );
      flush();
      expect(referenceSide.entries).toEqual(['0 start 1', '2 error boom', '2 source finalized', '2 output finalized']);
      expect(viaPoolSide.entries).toEqual(referenceSide.entries);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });
});

describe('mergeMap contract: operators around it', () => {
  test('take(2) over a hot source', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 2,
        duration: 3,
        source: () => helpers.hot('-a-b-c-d-|', n),
        around: (stage) => (source) => source.pipe(stage, take(2)),
        expected: '                ----a-(b|)',
        values: doubled,
        subs: '                    ^-----!   ',
      });
    });
  });

  test('takeUntil: the notifier unsubscribes the source and drops the running request', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 2,
        duration: 3,
        source: () => helpers.hot('-a-b-c---d-|', n),
        around: (stage) => (source) => source.pipe(stage, takeUntil(helpers.cold('-------x'))),
        // c runs 5-8 when the notifier fires at 7; d never comes in
        expected: '                ----a-b|    ',
        values: doubled,
        subs: '                    ^------!    ',
      });
      helpers.flush();
      expect(started).toEqual([1, 2, 3]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('switchMap whose inner is a poolMap pipeline: switching cancels the previous inner', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions, flush }) => {
      const { pool, started } = openPool(2, 3);
      const referenceStarted: number[] = [];
      const outer = '    -x-----y---------|';
      const innerValues = { a: 1, b: 2, c: 3 };
      const viaPoolInner = cold('a-b-c|', innerValues);
      const referenceInner = cold('a-b-c|', innerValues);
      // inner x: a 1-4, b 3-6, c 5-8 (cut off at 7); inner y: a 7-10, b 9-12, c 11-14
      const expected = '   ----a-b---a-b-c--|';
      const innerSubs = ['-^----!            ', '-------^----!      '];
      const values = { a: 2, b: 4, c: 6 };
      const viaPoolOuter = hot(outer);
      const referenceOuter = hot(outer);
      expectObservable(viaPoolOuter.pipe(switchMap(() => viaPoolInner.pipe(viaPool(pool))))).toBe(expected, values);
      expectObservable(referenceOuter.pipe(switchMap(() => referenceInner.pipe(reference(2, 3, referenceStarted))))).toBe(expected, values);
      expectSubscriptions(viaPoolInner.subscriptions).toBe(innerSubs);
      expectSubscriptions(referenceInner.subscriptions).toBe(innerSubs);
      expectSubscriptions(viaPoolOuter.subscriptions).toBe('^----------------!');
      expectSubscriptions(referenceOuter.subscriptions).toBe('^----------------!');
      flush();
      expect(started).toEqual([1, 2, 3, 1, 2, 3]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test("switchMap over one worker with cancel: 'terminate': the new inner starts at once, as with mergeMap", () => {
    testScheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { pool } = openPool(1, 3);
      const outer = '    -x------y---------|';
      const innerValues = { a: 1, b: 2, c: 3 };
      // inner x: a 1-4, b 4-7, c 7-10 (terminated at 8); inner y: a 8-11, b 11-14, c 14-17
      const expected = '   ----a--b---a--b--c|';
      const values = { a: 2, b: 4, c: 6 };
      expectObservable(hot(outer).pipe(switchMap(() => cold('a-b-c|', innerValues).pipe(viaPool(pool, 'double', { cancel: 'terminate' }))))).toBe(
        expected,
        values,
      );
      expectObservable(hot(outer).pipe(switchMap(() => cold('a-b-c|', innerValues).pipe(reference(1, 3))))).toBe(expected, values);
      flush();
      expect(pool.stats).toMatchObject({ workers: 1, queued: 0, busy: 0, pipelines: [] });
    });
  });

  test("switchMap over one worker with cancel: 'abandon' (the default): the abandoned request keeps the worker until it ends", () => {
    // Deliberately unlike mergeMap, whose cut-off inner is disposed of at once (there the new inner's a
    // would run 8-11: ----a--b---a--b--c|). An abandoned request still runs to its end on its worker.
    testScheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { pool, started } = openPool(1, 3);
      const innerValues = { a: 1, b: 2, c: 3 };
      const outer = hot('-x------y---------|     ');
      // inner x: a 1-4, b 4-7, c 7-10 (abandoned at 8); inner y: a 10-13, b 13-16, c 16-19
      const expected = '   ----a--b-----a--b--(c|)';
      expectObservable(outer.pipe(switchMap(() => cold('a-b-c|', innerValues).pipe(viaPool(pool))))).toBe(expected, { a: 2, b: 4, c: 6 });
      flush();
      expect(started).toEqual([1, 2, 3, 1, 2, 3]);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('share: two subscribers, one pipeline, one source subscription; the late one sees the later outcomes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const { pool, started } = openPool(2, 3);
      const referenceStarted: number[] = [];
      const viaPoolSource = cold('a-b-c|   ', n);
      const referenceSource = cold('a-b-c|   ', n);
      const viaPoolShared = viaPoolSource.pipe(viaPool(pool), share());
      const referenceShared = referenceSource.pipe(reference(2, 3, referenceStarted), share());
      // a 0-3, b 2-5, c 4-7
      const first = '             ---a-b-(c|)';
      const second = '            -----b-(c|)';
      const late = '              ----^      ';
      expectObservable(viaPoolShared).toBe(first, doubled);
      expectObservable(viaPoolShared, late).toBe(second, doubled);
      expectObservable(referenceShared).toBe(first, doubled);
      expectObservable(referenceShared, late).toBe(second, doubled);
      expectSubscriptions(viaPoolSource.subscriptions).toBe('^----!');
      expectSubscriptions(referenceSource.subscriptions).toBe('^----!');
      flush();
      expect(started).toEqual([1, 2, 3]);
      expect(started).toEqual(referenceStarted);
    });
  });

  test('retry around the pipeline resubscribes the source after its error', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 1,
        source: () => helpers.cold('a--#', n),
        around: (stage) => (source) => source.pipe(stage, retry(1)),
        expected: '                 -a--a-#',
        values: doubled,
        subs: ['                    ^--!   ', '                    ---^--!'],
      });
    });
  });

  test('catchError around the pipeline replaces the source error; the running request’s outcome is dropped', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 2,
        source: () => helpers.cold('ab-#', n),
        around: (stage) => (source) =>
          source.pipe(
            stage,
            catchError(() => helpers.cold('--z|', { z: 'caught' })),
          ),
        // a 0-2; b 2-4 is running when the source errors at 3
        expected: '                 --a--z|',
        values: { ...doubled, z: 'caught' },
        subs: '                     ^--!   ',
      });
      helpers.flush();
      expect(started).toEqual([1, 2]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('catchError on the source: the replacement values become requests', () => {
    testScheduler.run((helpers) => {
      sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () => helpers.cold('a-#', n).pipe(catchError(() => of(5))),
        expected: '                 ---a--(e|)',
        values: doubled,
      });
    });
  });
});

describe('poolMap contract: a throwing transfer option', () => {
  // mergeMap has no such option; its nearest counterpart is a project function that throws, which
  // errors mergeMap's stream. poolMap's per-request callbacks must instead end that request with a
  // failure outcome, and the stream must go on and complete.
  const transfer = (x: number): [] => {
    if (x === 2) throw new Error('no');
    return [];
  };

  // One worker, 4 frames a request. The marbles hold whether the failure is made when the request
  // arrives or when it would have started: spaced out, request 2 finds the worker free either way.
  test.each([
    // 1 runs 0-4; 2 arrives at 5 and fails; 3 runs 10-14
    ['without ordered, requests spaced out', false, 'a----b----c|      ', '----ab--------(c|)'],
    ['with ordered: true, requests spaced out', true, 'a----b----c|      ', '----ab--------(c|)'],
    // ordered over a burst: 2's failure waits for 1's outcome (4), and 3 runs 4-8
    ['with ordered: true, requests in a burst', true, '(abc|)      ', '----(ab)(c|)'],
  ] as const)(
    '%s: three outcomes, the second a failure naming transfer and its request; then completion, with no pipeline left',
    (_name, ordered, sourceMarble, expected) => {
      testScheduler.run(({ cold, expectObservable, flush }) => {
        const { pool, started } = openPool(1, 4);
        const failures: Failure<readonly unknown[]>[] = [];
        const source = cold(sourceMarble, n);
        const out = source.pipe(
          poolMap(pool, 'double', { transfer, ordered }),
          tap((outcome) => {
            if (!outcome.ok) failures.push(outcome);
          }),
          // the failure's error is checked below, not its code
          map((outcome) => (outcome.ok ? `${outcome.request.args[0]}=${outcome.value}` : `${outcome.request.args[0]}!`)),
        );
        expectObservable(out).toBe(expected, { a: '1=2', b: '2!', c: '3=6' });
        flush();
        expect(started).toEqual([1, 3]);
        expect(failures).toHaveLength(1);
        const [failure] = failures;
        expect(failure.request.args).toEqual([2]);
        expect(failure.error).toBeInstanceOf(Error);
        expect(failure.error.message).toMatch(/transfer/);
        expect(failure.error.message).toMatch(new RegExp(`\\b${failure.request.id}\\b`));
        expect(pool.stats.pipelines).toEqual([]);
      });
    },
  );
});
