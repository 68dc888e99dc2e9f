/**
 * What the marble specs share (not part of the package: the build configs
 * leave this file out, as they leave out the specs): the TestScheduler, and
 * the two pipelines of the mergeMap contract.
 *
 * The contract: `source.pipe(poolMap(pool, task))` on a virtual pool of
 * `size` workers whose requests take `duration` frames stands for
 *
 *     source.pipe(mergeMap((x) => timer(duration).pipe(map(() => task(x))), size))
 *
 * so a case sends the same source marble through both (`sameAsMergeMap`) and
 * expects the same output marbles and the same subscription marbles on the
 * source. Where poolMap deliberately differs (a failing request is an
 * outcome, not an error of the stream; an abandoned request keeps its worker
 * until it ends), the case asserts poolMap's contract and its comment says
 * how mergeMap differs. The cases follow the themes of RxJS 7's own specs
 * (spec/operators/mergeMap-spec.ts, concatMap-spec.ts, mergeAll-spec.ts), one
 * spec file a theme, named after the feature (concurrency, completion,
 * sourceErrors, cancellation, synchronousSources, reentrancy, finalization,
 * composition, transfer).
 */
import { config, defer, filter, map, mergeMap, Observable, type OperatorFunction, type SchedulerLike, timer } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import type { Outcome, Pool, PoolEvent, PoolStats, TaskContext } from '../src';
import { poolMap, type PoolMapOptions } from '../operators';
import { createVirtualPool } from './createVirtualPool';

/** A TestScheduler that compares frames with Jest's `toEqual`. */
export function newTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/**
 * Silences `console.error` around each test of the file, and returns its
 * spy: failures nobody subscribed to are printed there, and specs assert on it.
 */
export function silencedConsoleErrors(): { readonly spy: jest.SpyInstance } {
  const holder: { spy: jest.SpyInstance } = { spy: undefined as unknown as jest.SpyInstance };
  beforeEach(() => {
    holder.spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => holder.spy.mockRestore());
  return holder;
}

// ---------------------------------------------------------------------------
// poolMap's own specs: a task map, and helpers
// ---------------------------------------------------------------------------

/** The task map of poolMap's own specs. */
export const poolMapTasks = {
  double: (x: number): number => x * 2,
  add: (a: number, b: number): number => a + b,
  failIfOdd(x: number): number {
    if (x % 2 === 1) throw new RangeError(`odd ${x}`);
    return x;
  },
};

/** A task map whose `double` records each call it runs. */
export function recording(): { calls: number[]; tasks: { double: (x: number) => number } } {
  const calls: number[] = [];
  return { calls, tasks: { double: (x: number) => (calls.push(x), x * 2) } };
}

/** Records the stats the pool publishes. */
export function watchStats(stats$: Observable<PoolStats>): PoolStats[] {
  const seen: PoolStats[] = [];
  stats$.subscribe((stats) => seen.push(stats));
  return seen;
}

// ---------------------------------------------------------------------------
// The mergeMap contract: tasks, pools and the two pipelines
// ---------------------------------------------------------------------------

export const double = (x: number): number => x * 2;
export function failIfOdd(x: number): number {
  if (x % 2 === 1) throw new RangeError(`odd ${x}`);
  return x;
}

export type Tasks = {
  double: (x: number) => number;
  failIfOdd: (x: number) => number;
};
export type TaskName = 'double' | 'failIfOdd';
export type StageOptions = Omit<PoolMapOptions<[x: number]>, 'progress'>;

/** Frames a request of `x` takes: a number, or a function of `x`. */
export type Frames = number | ((x: number) => number);
export const framesOf = (frames: Frames, x: number): number => (typeof frames === 'number' ? frames : frames(x));

export type AnyOutcome = Outcome<readonly unknown[], unknown>;
export const codeOf = (outcome: AnyOutcome): string => (outcome.ok ? '' : String((outcome.error as Error & { code?: unknown }).code));
/** An outcome as a marble value: the result, or `E:` and the error's code (what the reference emits). */
export const show = map((outcome: AnyOutcome): unknown => (outcome.ok ? outcome.value : `E:${codeOf(outcome)}`));
/** An outcome as a marble value naming its request: `1=2` (argument 1 gave 2) or `3!ERR_…`. */
export const label = map((outcome: AnyOutcome): string =>
  outcome.ok ? `${outcome.request.args[0]}=${outcome.value}` : `${outcome.request.args[0]}!${codeOf(outcome)}`,
);

/** The current test's scheduler (see `useVirtualTime`). */
export let testScheduler: TestScheduler;
let pools: Pool<Tasks>[] = [];
let unhandled: unknown[] = [];

/**
 * Registers, for the spec file that calls it: before each test, a fresh
 * `testScheduler`; after it, the pools `openPool` made are closed, and the
 * test fails if any error reached RxJS's `config.onUnhandledError`.
 */
export function useVirtualTime(): void {
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
}

/** A virtual pool whose tasks record the argument of each request they start (and tell `onStart`). */
export function openPool(size: number, duration: Frames, onStart?: (x: number) => void): { pool: Pool<Tasks>; started: number[] } {
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
export function viaPool(pool: Pool<Tasks>, task: TaskName = 'double', options: StageOptions = {}): OperatorFunction<number, unknown> {
  return (source) => source.pipe(poolMap(pool, task, options), show);
}

/**
 * The mergeMap pipeline poolMap stands for: each value becomes an inner that
 * starts (`started`, `onStart`), waits `duration` frames, emits `f(x)` and completes;
 * at most `size` inners at once, the others buffered in arrival order.
 */
export function reference(
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

export type Logs = Parameters<RunHelpers['expectSubscriptions']>[0];
/** A source for a case: cold and hot observables carry their subscription log. */
export type Source = Observable<number> & { readonly subscriptions?: Logs };

export interface Case {
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
export function sameAsMergeMap(helpers: RunHelpers, c: Case): { pool: Pool<Tasks>; started: number[]; referenceStarted: number[] } {
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
export function counted(counter: { n: number }, cap = 20): Observable<number> {
  return new Observable<number>((subscriber) => {
    for (let i = 1; i <= cap && !subscriber.closed; i++) {
      counter.n++;
      subscriber.next(i);
    }
    subscriber.complete();
  });
}

/** Emits when `signal` aborts. */
export function aborted(signal: AbortSignal): Observable<void> {
  return new Observable<void>((subscriber) => {
    const onAbort = (): void => subscriber.next();
    signal.addEventListener('abort', onAbort);
    return () => signal.removeEventListener('abort', onAbort);
  });
}

export const n = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8 };
export const doubled = { a: 2, b: 4, c: 6, d: 8, e: 10, f: 12, g: 14, h: 16 };
export const numbers = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

/** Tasks of the batching and ordering specs: `wait` answers its frames; `failIfOdd` throws on odd numbers. */
export const waitOrFailTasks = {
  wait: (frames: number): number => frames,
  failIfOdd(n: number): number {
    if (n % 2 === 1) throw new RangeError(`odd ${n}`);
    return n;
  },
};

/** Each outcome as its value, or `'E'` for an error. */
export const valueOrE = map((outcome: AnyOutcome) => (outcome.ok ? outcome.value : 'E'));

// ---------------------------------------------------------------------------
// Cooperative cancellation: tasks that read their signal, and what to watch
// ---------------------------------------------------------------------------

/** Tasks of the cooperative cancellation specs: each answers its frames (its argument). A type, not an interface: a task map has an index signature. */
export type SignalTasks = {
  /** Reads its signal (`this.signal`), and logs the frame and the reason's name when it aborts. */
  listen(this: TaskContext, frames: number): number;
  /** Never reads its signal. */
  wait(frames: number): number;
};

/** {@link SignalTasks} whose aborts are logged in `log` as `'<frame> <reason name>'`, on `scheduler`'s clock. */
export function signalTasks(log: string[], scheduler: SchedulerLike): SignalTasks {
  return {
    listen(this: TaskContext, frames: number): number {
      const { signal } = this;
      signal.addEventListener('abort', () => log.push(`${scheduler.now()} ${(signal.reason as DOMException).name}`));
      return frames;
    },
    wait: (frames: number): number => frames,
  };
}

/** Each request takes as many frames as its argument. */
export const framesByArgument = (_task: string, args: readonly unknown[]): number => args[0] as number;

/** An outcome as a marble value: the result, or the error's name, with ` signalled` when the task's signal was aborted. */
export const signalled = map((outcome: AnyOutcome): unknown =>
  outcome.ok ? outcome.value : `${outcome.error.name}${(outcome.error as { signalled?: boolean }).signalled ? ' signalled' : ''}`,
);

/** A pool's worker events as marble values: `started 2`, `exited 1 terminated`; its other events are left out. */
export function workerEvents(events$: Observable<PoolEvent>): Observable<string> {
  return events$.pipe(
    map((event) =>
      event.type === 'workerStarted' ? `started ${event.worker}` : event.type === 'workerExited' ? `exited ${event.worker} ${event.reason}` : undefined,
    ),
    filter((text): text is string => text !== undefined),
  );
}
