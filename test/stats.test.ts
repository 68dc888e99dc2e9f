// pool.stats$ and pool.stats: counts as work proceeds, and, while stats$ is watched, wait and run times and utilization.
import { from, map, range } from 'rxjs';
import type { PoolStats } from '../src';
import { poolMap } from '../operators';
import { afterTimersDueWithin, closePools, collect, featuresPool, statsWhere, tasksPool } from './helpers';

afterEach(closePools);

describe('stats$', () => {
  test('stats$ publishes work as it goes', async () => {
    const pool = tasksPool({ size: 2 });
    await pool.ready;
    const seen: number[] = [];
    const subscription = pool.stats$.subscribe((stats) => seen.push(stats.busy));
    await collect(
      range(0, 20).pipe(
        map(() => 5),
        poolMap(pool, 'spin'),
      ),
    );
    subscription.unsubscribe();
    expect(Math.max(...seen)).toBe(2);
    const stats = pool.stats;
    expect(stats).toMatchObject({ workers: 2, busy: 0, queued: 0, completed: 20, failed: 0, pipelines: [] });
    // Timing was recorded while stats$ was watched: 20 runs of a 5 ms spin.
    expect(stats.run.count).toBe(20);
    expect(stats.run.p50).toBeGreaterThanOrEqual(3);
  });
});

describe('timing and utilization', () => {
  test('stats$ reports wait and run percentiles that match known task durations, utilization, and each pipeline', async () => {
    const pool = featuresPool({ size: 2 });
    await pool.ready;
    const snapshots: PoolStats[] = [];
    const watching = pool.stats$.subscribe((stats) => snapshots.push(stats));
    // 20 requests of 50 ms on 2 workers: each runs ~50 ms; the k-th waits ~(k div 2) × 50 ms, up to ~450 ms.
    const done = collect(
      range(0, 20).pipe(
        map(() => 50),
        poolMap(pool, 'sleep', { batch: 1, name: 'sleepers' }),
      ),
    );
    // Mid-run: four requests have ended, so both workers have been busy all along.
    await statsWhere(pool, (stats) => stats.completed >= 4, 'four requests to end');
    const during = pool.stats;
    expect(during.pipelines).toEqual([expect.objectContaining({ name: 'sleepers', priority: 0, running: 2 })]);
    expect(during.utilization).toBeGreaterThan(0.5);
    await done;
    const { wait, run, pipelines } = pool.stats;
    watching.unsubscribe();
    // The measures are at least the durations the tasks are known to take (lower bounds, which a slow
    // machine only makes longer), and keep their proportions: a request ran for about one sleep, and the
    // median one waited for several others to run first.
    expect(run.count).toBe(20);
    expect(run.p50).toBeGreaterThanOrEqual(49);
    expect(run.p50).toBeLessThan(wait.p50);
    expect(run.max).toBeGreaterThanOrEqual(run.p99);
    expect(wait.count).toBe(20);
    expect(wait.max).toBeGreaterThanOrEqual(400);
    expect(wait.p50).toBeGreaterThanOrEqual(180);
    expect(wait.p50).toBeLessThan(wait.max);
    // The pipeline has ended: it is no longer listed.
    expect(pipelines).toEqual([]);
    expect(snapshots.length).toBeGreaterThan(10);
  });

  test('a request whose arguments could not be sent counts as running no longer once it has failed', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const watching = pool.stats$.subscribe();
    const [bad] = await collect(from([(() => 1) as unknown as number]).pipe(poolMap(pool, 'double')));
    expect(!bad.ok && bad.error.code).toBe('ERR_DATA_CLONE');
    // The pool then idles for a while: its one worker ran nothing but the instant the send failed.
    await afterTimersDueWithin(200);
    const { utilization, busy } = pool.stats;
    watching.unsubscribe();
    expect(busy).toBe(0);
    expect(utilization).toBeLessThan(0.5);
  });

  test("workerLoads: each live worker's event loop, as Node measures it; a worker that spins shows the time it ran", async () => {
    const pool = featuresPool({ size: 2 });
    await pool.ready;
    const before = pool.stats.workerLoads;
    expect(before.map((load) => load.worker).sort()).toEqual([1, 2]);
    for (const load of before) {
      expect(load.utilization).toBeGreaterThanOrEqual(0);
      expect(load.utilization).toBeLessThanOrEqual(1);
    }
    // One request spins 300 ms on one worker: that worker's active time grows by about that much (at least 250 ms of it).
    await pool.run('spin', 300);
    const after = pool.stats.workerLoads;
    const grew = after.map((load) => load.activeMs - (before.find((each) => each.worker === load.worker)?.activeMs ?? 0));
    expect(Math.max(...grew)).toBeGreaterThanOrEqual(250);
  });

  test('nothing is recorded while nobody watches stats$', async () => {
    const pool = featuresPool({ size: 1 });
    await collect(
      range(0, 5).pipe(
        map(() => 1),
        poolMap(pool, 'sleep'),
      ),
    );
    expect(pool.stats.run.count).toBe(0);
    expect(pool.stats.wait.count).toBe(0);
  });
});
