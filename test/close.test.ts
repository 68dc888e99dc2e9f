import { from, map, range } from 'rxjs';
import { PoolClosedError } from '../src';
import { poolMap } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

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
    while (pool.stats.busy < 2) await new Promise((resolve) => setTimeout(resolve, 5));
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
});
