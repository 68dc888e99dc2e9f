// Backpressure on a queue pool: at most maxInFlight jobs are in Redis, the rest wait in the pool; fast requests travel in batches.
import { lastValueFrom, range, toArray } from 'rxjs';
import { poolMap } from '../operators';
import { statsWhere, waitFor } from './helpers';
import { startHost, testRedisUrl, uniqueQueue } from './redis/hosts';
import { queueSuite } from './redis/queueSuite';

describe('backpressure on a queue pool', () => {
  const suite = queueSuite();

  test('backpressure: at most maxInFlight jobs are in Redis and the rest wait in the pool; a burst of fast requests travels in at most 64 jobs at once', async () => {
    // One request a job: the window fills, no further.
    const windowQueue = uniqueQueue('window');
    const pool = suite.open(windowQueue, { maxInFlight: 100 });
    await pool.ready;
    const unbatched = range(0, 300)
      .pipe(poolMap(pool, 'inc', { batch: 1 }))
      .subscribe();
    await statsWhere(pool, (stats) => stats.busy === 100, 'the window of 100 jobs to fill');
    await waitFor(async () => (await suite.waiting(windowQueue)) >= 100, 'the 100 jobs to reach Redis');
    expect(await suite.waiting(windowQueue)).toBe(100);
    expect(pool.stats).toMatchObject({ busy: 100, queued: 200 });
    unbatched.unsubscribe();

    // 'auto' (the default): 64 jobs until the task is measured, then batches; the default window (512) is not used up.
    const burstQueue = uniqueQueue('burst');
    const burstPool = suite.open(burstQueue);
    await burstPool.ready;
    const outcomes = lastValueFrom(range(0, 5000).pipe(poolMap(burstPool, 'inc'), toArray()));
    await statsWhere(burstPool, (stats) => stats.busy === 64, 'the first 64 jobs to be sent');
    await waitFor(async () => (await suite.waiting(burstQueue)) >= 64, 'the 64 jobs to reach Redis');
    expect(await suite.waiting(burstQueue)).toBe(64);
    expect(burstPool.stats.queued).toBe(5000 - 64);
    suite.hosts.push(await startHost(testRedisUrl(), burstQueue, ['--threads', '1']));
    const values = (await outcomes).map((outcome) => outcome.ok && outcome.value).sort((a, b) => Number(a) - Number(b));
    expect(values).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    const added = await suite.events(burstQueue, 'added');
    expect(added).toBeGreaterThanOrEqual(65);
    expect(added).toBeLessThan(500);
  }, 60_000);
});
