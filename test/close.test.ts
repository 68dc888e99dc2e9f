// close(): running, queued and later requests end with PoolClosedError; every worker is terminated; stats$ completes.
import { from, map, range } from 'rxjs';
import { PoolClosedError, workRequest } from '../src';
import { poolMap } from '../operators';
import { closePools, collect, faultsPool, statsWhere, tasksPool } from './helpers';

afterEach(closePools);

describe('closing a pool', () => {
  test('with work pending: running and queued requests end with PoolClosedError, and the stream completes', async () => {
    const pool = tasksPool({ size: 2 });
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
    const pool = tasksPool({ size: 1 });
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
    const pool = tasksPool({ size: 2 });
    await pool.close();
    expect(pool.size).toBe(0);
    await expect(pool.ready).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });

  test('close racing a replacement worker that is still starting ends everything and leaves no worker', async () => {
    const pool = faultsPool({ size: 1 });
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
    const pool = faultsPool({ size: 1 });
    await pool.dismissWorkers(1, { join: true });
    const outcomes = collect(from([1, 2, 3]).pipe(poolMap(pool, 'echo')));
    await statsWhere(pool, (stats) => stats.queued === 3, 'the three requests to be queued');
    expect(pool.stats.queued).toBe(3);
    await pool.close();
    for (const outcome of await outcomes) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });
});
