// close(): running, queued and later requests end with PoolClosedError; every worker is terminated; stats$ completes.
import { from, map, range } from 'rxjs';
import { PoolClosedError, WorkerCrashedError, workRequest } from '../src';
import { poolMap } from '../operators';
import { closePools, collect, faultsPool, featuresPool, runtimes, statsWhere, tasksPool } from './helpers';

afterEach(closePools);

describe.each(runtimes)('closing a pool (%s workers)', (runtime) => {
  test('with work pending: running and queued requests end with PoolClosedError, and the stream completes', async () => {
    const pool = tasksPool({ runtime, size: 2 });
    await pool.ready;
    const outcomes = collect(
      range(0, 10).pipe(
        map(() => 200),
        poolMap(pool, 'spin'),
      ),
    );
    await statsWhere(pool, (stats) => stats.busy >= 2, 'both workers to run a request');
    await pool.close();
    const all = await outcomes;
    expect(all).toHaveLength(10);
    for (const outcome of all) {
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error).toBeInstanceOf(PoolClosedError);
    }
    expect(pool.stats).toMatchObject({ workers: 0, busy: 0, queued: 0, failed: 10 });
  });

  test('requests after close end with PoolClosedError at once; close is idempotent; stats$ completes', async () => {
    const pool = tasksPool({ runtime, size: 1 });
    let statsCompleted = false;
    pool.stats$.subscribe({ complete: () => (statsCompleted = true) });
    const first = pool.close();
    expect(pool.close()).toBe(first);
    await first;
    expect(pool.closed).toBe(true);
    expect(statsCompleted).toBe(true);
    const [late] = await collect(from([1]).pipe(poolMap(pool, 'double')));
    expect(!late.ok && late.error).toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await expect(pool.createWorkers(1)).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });

  test('close before the workers are ready still terminates them, and ready rejects with PoolClosedError', async () => {
    const pool = tasksPool({ runtime, size: 2 });
    await pool.close();
    expect(pool.size).toBe(0);
    await expect(pool.ready).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });

  test('close racing a replacement worker that is still starting ends everything and leaves no worker', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    const outcomes = collect(from([workRequest([1]), workRequest([2])]).pipe(poolMap(pool, 'exit', { rerunOnCrash: false })));
    // The first request's worker has died (the request failed): its replacement is starting now.
    await statsWhere(pool, (stats) => stats.failed >= 1, 'the first request to fail');
    await pool.close();
    const all = await outcomes;
    expect(all).toHaveLength(2);
    expect(all.every((outcome) => !outcome.ok)).toBe(true);
    expect(pool.stats).toMatchObject({ workers: 0, busy: 0, queued: 0 });
  });

  test('close with no workers and requests queued ends them with PoolClosedError', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    await pool.dismissWorkers(1, { join: true });
    const outcomes = collect(from([1, 2, 3]).pipe(poolMap(pool, 'echo')));
    await statsWhere(pool, (stats) => stats.queued === 3, 'the three requests to be queued');
    expect(pool.stats.queued).toBe(3);
    await pool.close();
    for (const outcome of await outcomes) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });
});

describe.each(runtimes)('closing a pool gracefully: close({ drain: true }) (%s workers)', (runtime) => {
  test('queued and running requests finish, new ones end with PoolClosedError at once, then the workers stop and stats$ completes', async () => {
    const pool = featuresPool({ runtime, size: 2 });
    await pool.ready;
    let statsCompleted = false;
    pool.stats$.subscribe({ complete: () => (statsCompleted = true) });
    const outcomes = collect(
      range(0, 6).pipe(
        map(() => 100),
        poolMap(pool, 'sleep', { batch: 1 }),
      ),
    );
    await statsWhere(pool, (stats) => stats.busy === 2 && stats.queued === 4, 'two requests to run and four to wait');
    const closing = pool.close({ drain: true });
    expect(pool.closed).toBe(true);
    const [late] = await collect(from([1]).pipe(poolMap(pool, 'sleep')));
    expect(!late.ok && late.error).toBeInstanceOf(PoolClosedError);
    await expect(pool.createWorkers(1)).rejects.toBeInstanceOf(PoolClosedError);
    expect(statsCompleted).toBe(false);
    await closing;
    expect((await outcomes).map((outcome) => outcome.ok && outcome.value)).toEqual([100, 100, 100, 100, 100, 100]);
    expect(statsCompleted).toBe(true);
    expect(pool.stats).toMatchObject({ workers: 0, busy: 0, queued: 0, completed: 6 });
    expect(pool.close()).toBe(closing);
  });

  test('with nothing pending it closes at once', async () => {
    const pool = featuresPool({ runtime, size: 1 });
    await pool.ready;
    await pool.close({ drain: true });
    expect(pool.stats.workers).toBe(0);
  });

  test('past its timeout, what is still queued or running ends with PoolClosedError and the workers are terminated', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    await pool.ready;
    const stuck = collect(from([workRequest([])]).pipe(poolMap(pool, 'loopForever')));
    await statsWhere(pool, (stats) => stats.busy === 1, 'the endless request to run');
    const queued = collect(from([1, 2]).pipe(poolMap(pool, 'echo')));
    await pool.close({ drain: true, timeout: 200 });
    for (const outcome of [...(await stuck), ...(await queued)]) expect(!outcome.ok && outcome.error).toBeInstanceOf(PoolClosedError);
    expect(pool.stats.workers).toBe(0);
  });

  test('a plain close() during a drain cuts it short, and both return the same promise', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    await pool.ready;
    const stuck = collect(from([workRequest([])]).pipe(poolMap(pool, 'loopForever')));
    await statsWhere(pool, (stats) => stats.busy === 1, 'the endless request to run');
    const draining = pool.close({ drain: true });
    const closing = pool.close();
    expect(closing).toBe(draining);
    await closing;
    const [outcome] = await stuck;
    expect(!outcome.ok && outcome.error).toBeInstanceOf(PoolClosedError);
  });

  test('a worker that crashes during the drain: its innocent batch-mates are still rerun, the culprit fails alone', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    await pool.ready;
    const first = collect(from([300]).pipe(poolMap(pool, 'sleep')));
    await statsWhere(pool, (stats) => stats.busy === 1, 'the first request to run');
    // Queued behind it: a batch whose third request exits its worker.
    const batch = collect(
      range(0, 4).pipe(
        map((n) => workRequest([n, 2, 0] as [number, number, number])),
        poolMap(pool, 'exitOn', { batch: 4 }),
      ),
    );
    await statsWhere(pool, (stats) => stats.queued === 4, 'the batch to wait');
    await pool.close({ drain: true });
    expect((await first).map((outcome) => outcome.ok && outcome.value)).toEqual([300]);
    const outcomes = await batch;
    expect(outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.ok && outcome.value)).toEqual([0, 1, 3]);
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed.map(({ request }) => request.args[0])).toEqual([2]);
    expect(!failed[0].ok && failed[0].error).toBeInstanceOf(WorkerCrashedError);
  });

  test('bad options are refused with InvalidOptionError naming them, and leave the pool open', () => {
    const pool = featuresPool({ size: 1 });
    expect(() => pool.close({ drain: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'drain' }));
    expect(() => pool.close({ drain: true, timeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'timeout' }));
    expect(() => pool.close({ timeout: 100 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'timeout' }));
    expect(() => pool.close({ force: true } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(pool.closed).toBe(false);
  });
});
