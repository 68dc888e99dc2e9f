// Autoscaling on real workers: size { min, max } grows the pool while requests wait and shrinks it after idleTimeout;
// size as an Observable is followed value by value; resize() sizes a running pool.
import { BehaviorSubject, config, filter, firstValueFrom, from, map, range, take, toArray } from 'rxjs';
import { type PoolEvent, type WorkRequest, workRequest } from '../src';
import { poolMap } from '../operators';
import { closePools, collect, gatePool, keyedPool, newGate, statsWhere, tasksPool } from './helpers';
import { byKey, expectKeyedOrder, visits } from './keyedChecks';

afterEach(closePools);

/** The next `count` events of `pool` that match. */
function events(pool: { events$: import('rxjs').Observable<PoolEvent> }, match: (event: PoolEvent) => boolean, count: number): Promise<PoolEvent[]> {
  return firstValueFrom(pool.events$.pipe(filter(match), take(count), toArray()));
}

describe('size { min, max }', () => {
  test('a burst grows the pool to max and, once idle, back to min; no request is lost or run twice while the size moves', async () => {
    const pool = gatePool({ size: { min: 1, max: 3 }, idleTimeout: 300 });
    await pool.ready;
    expect(pool.size).toBe(1);
    let most = 0;
    const watching = pool.stats$.subscribe((stats) => (most = Math.max(most, stats.workers)));
    const grown = events(pool, (event) => event.type === 'workerStarted', 2);
    const shrunk = events(pool, (event) => event.type === 'workerExited', 2);
    // Three requests that each wait (up to 20 s) until all three run at once: they meet only if the pool grew to three
    // workers. Beside them, 30 requests that pass at once, queued while the size moves.
    const parties = newGate();
    const meeting = workRequest([parties, 3, 20_000] as [Int32Array, number, number]);
    const passing = (): WorkRequest<[Int32Array, number, number]> => workRequest([newGate(), 1, 20_000] as [Int32Array, number, number]);
    const requests = [meeting, workRequest([...meeting.args] as [Int32Array, number, number]), workRequest([...meeting.args] as [Int32Array, number, number])];
    const outcomes = await collect(from([...requests, ...Array.from({ length: 30 }, passing)]).pipe(poolMap(pool, 'meet', { batch: 1 })));
    expect((await grown).map((event) => event.type === 'workerStarted' && event.worker).sort()).toEqual([2, 3]);
    expect(outcomes).toHaveLength(33);
    expect(new Set(outcomes.map((outcome) => outcome.request.id)).size).toBe(33);
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual(Array.from({ length: 33 }, () => 'met'));
    expect(most).toBe(3);
    // Idle past idleTimeout: two workers leave, the least size stays.
    expect((await shrunk).map((event) => event.type === 'workerExited' && event.reason)).toEqual(['idle', 'idle']);
    expect(pool.size).toBe(1);
    watching.unsubscribe();
  });

  test('resize() sizes a running pool: up to its least size at once, down to its most by dismissing', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    await pool.resize({ min: 3, max: 4 });
    expect(pool.size).toBe(3);
    await pool.resize(2);
    await pool.joinAllDismissedWorkers();
    expect(pool.size).toBe(2);
    // Idempotent.
    await pool.resize(2);
    expect(pool.size).toBe(2);
    expect(await pool.run('double', 21)).toBe(42);
  });

  test('bad sizes are refused with InvalidOptionError naming the bound', () => {
    const pool = tasksPool({ size: 1 });
    expect(() => pool.resize({ min: 2, max: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'size.max' }));
    expect(() => pool.resize({ min: 0, max: 2000 })).toThrow(expect.objectContaining({ option: 'size.max' }));
    expect(() => pool.resize(0)).toThrow(expect.objectContaining({ option: 'size' }));
    expect(() => tasksPool({ size: { min: 1 } as never })).toThrow(expect.objectContaining({ option: 'size.max' }));
    expect(() => tasksPool({ size: { min: 1, max: 2, maxThreads: 3 } as never })).toThrow(/Did you mean "max"\?/);
  });
});

describe('size as an Observable', () => {
  test('the pool follows each value; ready waits for the first; a value that is not a size is reported and skipped', async () => {
    const size$ = new BehaviorSubject<number | { min: number; max: number }>(1);
    const pool = tasksPool({ size: size$ });
    await pool.ready;
    expect(pool.size).toBe(1);
    const started = events(pool, (event) => event.type === 'workerStarted', 2);
    size$.next(3);
    await started;
    expect(pool.size).toBe(3);
    const reported: unknown[] = [];
    const before = config.onUnhandledError;
    config.onUnhandledError = (error) => reported.push(error);
    try {
      size$.next({ min: 2, max: 1 });
    } finally {
      config.onUnhandledError = before;
    }
    expect(reported).toEqual([expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'size.max' })]);
    expect(pool.size).toBe(3);
    size$.next({ min: 0, max: 1 });
    await statsWhere(pool, (stats) => stats.workers === 1, 'the pool to shrink to 1');
    expect(await pool.run('double', 4)).toBe(8);
  });
});

test('closing a pool while the workers of a size value still start leaves no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    const size$ = new BehaviorSubject<number>(1);
    const pool = tasksPool({ size: size$ });
    await pool.ready;
    size$.next(3);
    await pool.close();
    // Rejections are reported after the microtasks that could have handled them: give them a turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', record);
  }
});

describe('autoscaling meets keys', () => {
  test('a keyed pipeline on { min: 1, max: 3 }: every key in order, each request once, while the pool grows and shrinks under it', async () => {
    const pool = keyedPool({ size: { min: 1, max: 3 }, idleTimeout: 200 });
    await pool.ready;
    let most = 0;
    const watching = pool.stats$.subscribe((stats) => (most = Math.max(most, stats.workers)));
    // 30 keys, 6 requests each, 20 ms each: a backlog that may grow the pool (how far depends on how fast workers
    // start); keys placed on the first worker move to new ones. Nothing here waits for a size: only order and counts.
    for (const round of [0, 1]) {
      const requests = visits(30, 6, () => ({ sleepMs: round === 0 ? 20 : 0 }));
      const outcomes = await collect(from(requests).pipe(poolMap(pool, 'visit', { key: byKey })));
      expect(outcomes).toHaveLength(requests.length);
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
      expect(new Set(outcomes.map((outcome) => outcome.request.id)).size).toBe(requests.length);
      expectKeyedOrder(outcomes);
    }
    watching.unsubscribe();
    expect(most).toBeLessThanOrEqual(3);
    expect(pool.size).toBeLessThanOrEqual(3);
  });
});
