// Cancellation: unsubscribing, takeUntil or an AbortSignal stops a pipeline; cancel: 'terminate' also ends
// its running requests' workers, 'abandon' (the default) lets them finish unseen.
import { getEventListeners } from 'node:events';
import { from, map, range, Subject, take, takeUntil } from 'rxjs';
import { workRequest } from '../src';
import { poolMap, results } from '../operators';
import { closePools, collect, faultsPool, statsWhere, tasksPool } from './helpers';

afterEach(closePools);

describe('unsubscribing', () => {
  test('unsubscribing cancels queued requests: they never start, and the pool serves the next pipeline', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const source = new Subject<number>();
    const first = collect(source.pipe(poolMap(pool, 'delayed'), take(1)));
    for (let i = 0; i < 50; i++) source.next(20);
    expect(pool.stats.queued).toBe(49);
    await first;
    expect(pool.stats.queued).toBe(0);
    expect(source.observed).toBe(false);
    const next = await collect(
      from([1, 2, 3]).pipe(
        poolMap(pool, 'double'),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(next.sort()).toEqual([2, 4, 6]);
    expect(pool.stats.completed).toBeLessThanOrEqual(5);
  });

  test("cancel: 'terminate' ends running requests' workers at unsubscribe; the next pipeline runs at once on fresh workers", async () => {
    const pool = faultsPool({ size: 2 });
    const before = new Set(
      await collect(
        range(0, 8).pipe(
          map(() => workRequest([])),
          poolMap(pool, 'threadId', { batch: 1 }),
          results(),
          map(({ value }) => value),
        ),
      ),
    );
    const seen: unknown[] = [];
    const subscription = range(0, 10)
      .pipe(
        map(() => workRequest([])),
        poolMap(pool, 'loopForever', { cancel: 'terminate' }),
      )
      .subscribe((outcome) => seen.push(outcome));
    await statsWhere(pool, (stats) => stats.busy >= 2, 'both workers to run an endless request');
    subscription.unsubscribe();
    expect(pool.stats.queued).toBe(0);
    const after = await collect(
      range(0, 8).pipe(
        map(() => workRequest([])),
        poolMap(pool, 'threadId', { batch: 1 }),
        results(),
        map(({ value }) => value),
      ),
    );
    for (const id of after) expect(before.has(id)).toBe(false);
    expect(seen).toEqual([]);
    expect(pool.stats).toMatchObject({ workers: 2, busy: 0 });
  });

  test("cancelling one pipeline never kills another pipeline's running request", async () => {
    const pool = faultsPool({ size: 2 });
    await pool.ready;
    const other = collect(from([400]).pipe(poolMap(pool, 'sleep')));
    const cancelled = from([400])
      .pipe(poolMap(pool, 'sleep', { cancel: 'terminate' }))
      .subscribe();
    await statsWhere(pool, (stats) => stats.busy >= 2, 'both requests to run');
    cancelled.unsubscribe();
    const [result] = await other;
    expect(result.ok && result.value).toBe(400);
  });

  test("with the default cancel ('abandon'), no outcome is emitted after unsubscription, and the late result raises nothing", async () => {
    const pool = faultsPool({ size: 1 });
    const seen: unknown[] = [];
    const subscription = from([200, 200])
      .pipe(poolMap(pool, 'sleep'))
      .subscribe((outcome) => seen.push(outcome));
    await statsWhere(pool, (stats) => stats.busy >= 1, 'the first request to run');
    subscription.unsubscribe();
    // The abandoned request runs to its end in the background: its result has come back once it is counted.
    await statsWhere(pool, (stats) => stats.completed === 1 && stats.busy === 0, 'the abandoned request to finish');
    expect(seen).toEqual([]);
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0, completed: 1 });
  });

  test('takeUntil stops queued requests from starting and leaves the pool serving the next pipeline at once', async () => {
    const pool = faultsPool({ size: 1 });
    const stop = new Subject<void>();
    const outcomes: unknown[] = [];
    from([5000, 5000, 5000, 5000])
      .pipe(poolMap(pool, 'sleep', { cancel: 'terminate' }), takeUntil(stop))
      .subscribe((outcome) => outcomes.push(outcome));
    await statsWhere(pool, (stats) => stats.busy >= 1, 'the first request to run');
    stop.next();
    expect(pool.stats.queued).toBe(0);
    const [next] = await collect(from([1]).pipe(poolMap(pool, 'echo'), results()));
    expect(next.value).toBe(1);
    expect(outcomes).toEqual([]);
  });
});

describe('an AbortSignal', () => {
  test('an AbortSignal cancels its pipeline: the stream completes, no outcome follows, and its listener is removed', async () => {
    const pool = faultsPool({ size: 1 });
    const controller = new AbortController();
    const seen: unknown[] = [];
    const done = new Promise<void>((resolve) =>
      from([300, 300, 300])
        .pipe(poolMap(pool, 'sleep', { signal: controller.signal }))
        .subscribe({ next: (outcome) => seen.push(outcome), complete: resolve }),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await statsWhere(pool, (stats) => stats.busy >= 1, 'the first request to run');
    controller.abort();
    await done;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // The running request is abandoned: once its result is back (counted), it has still not been emitted.
    await statsWhere(pool, (stats) => stats.completed === 1 && stats.busy === 0, 'the abandoned request to finish');
    expect(seen).toEqual([]);
    // An already aborted signal completes at once and starts nothing.
    const none = await collect(from([1]).pipe(poolMap(pool, 'echo', { signal: controller.signal })));
    expect(none).toEqual([]);
  });

  test('one AbortSignal shared by a million requests leaves no listener behind, and every timeout timer is cleared', async () => {
    const pool = faultsPool({ size: 2 });
    await pool.ready;
    const { signal } = new AbortController();
    const all = await collect(range(0, 1_000_000).pipe(poolMap(pool, 'echo', { signal }), results(), take(1_000_000)));
    expect(all).toHaveLength(1_000_000);
    // Every timer the requests' timeouts start (5000 ms) must be cleared when the request ends.
    const started = new Set<unknown>();
    const cleared = new Set<unknown>();
    const realSetTimeout = global.setTimeout;
    const realClearTimeout = global.clearTimeout;
    const setSpy = jest.spyOn(global, 'setTimeout').mockImplementation(((callback: () => void, ms?: number, ...rest: unknown[]) => {
      const timer = realSetTimeout(callback, ms, ...rest);
      if (ms === 5000) started.add(timer);
      return timer;
    }) as typeof setTimeout);
    const clearSpy = jest.spyOn(global, 'clearTimeout').mockImplementation(((timer?: Parameters<typeof clearTimeout>[0]) => {
      cleared.add(timer);
      realClearTimeout(timer);
    }) as typeof clearTimeout);
    try {
      const timed = await collect(range(0, 2000).pipe(poolMap(pool, 'echo', { signal, timeout: 5000 }), results()));
      expect(timed).toHaveLength(2000);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    // Requests with a timeout run one per batch: 2000 timers, each cleared.
    expect(started.size).toBe(2000);
    expect([...started].filter((timer) => !cleared.has(timer)).length).toBe(0);
  });
});
