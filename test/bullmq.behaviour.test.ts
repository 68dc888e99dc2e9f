/**
 * Queue pools behave as thread pools do: timeouts, unsubscribe, retries on
 * request, unknown tasks, a host that cannot load its module, close.
 */
import { Redis } from 'ioredis';
import { from, lastValueFrom, range, Subject, toArray } from 'rxjs';
import { makeRequests, type Pool, PoolClosedError, TaskError, TaskTimeoutError, UnknownTaskError, WorkerStartError } from '../src';
import { createQueuePool, serveTasks } from '../src/bullmq';
import { poolMap } from '../operators';
import type { QueueTasks } from './fixtures/queue.worker';
import { fixture } from './helpers';
import { type Host, startHost, stopHosts, testRedisUrl, uniqueQueue } from './redis/hosts';

describe('a queue pool behaves as a thread pool', () => {
  const pools: Pool<QueueTasks>[] = [];
  let hosts: Host[] = [];
  let redis: Redis;
  const open = (queue: string, options: Partial<Parameters<typeof createQueuePool>[0]> = {}): Pool<QueueTasks> => {
    const pool = createQueuePool<QueueTasks>({ connection: testRedisUrl(), queue, ...options });
    pools.push(pool);
    return pool;
  };
  const waiting = (queue: string): Promise<number> => redis.llen(`bull:${queue}:wait`);

  beforeAll(() => {
    redis = new Redis(testRedisUrl());
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await stopHosts(hosts);
    redis.disconnect();
  });

  test('with no host, a request with a timeout ends with TaskTimeoutError and its job is withdrawn', async () => {
    const queue = uniqueQueue('timeout');
    const pool = open(queue);
    await pool.ready;
    const outcomes = await lastValueFrom(from([1, 2]).pipe(poolMap(pool, 'inc', { timeout: 300 }), toArray()));
    expect(outcomes.map((outcome) => !outcome.ok && outcome.error)).toEqual([expect.any(TaskTimeoutError), expect.any(TaskTimeoutError)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await waiting(queue)).toBe(0);
  });

  test('unsubscribing removes the jobs no host has started', async () => {
    const queue = uniqueQueue('unsubscribe');
    const pool = open(queue);
    await pool.ready;
    const source = new Subject<number>();
    const subscription = source.pipe(poolMap(pool, 'inc', { batch: 1 })).subscribe();
    for (let i = 0; i < 10; i++) source.next(i);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await waiting(queue)).toBe(10);
    subscription.unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await waiting(queue)).toBe(0);
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0 });
  });

  test('backpressure: at most maxInFlight jobs are in Redis and the rest wait in the pool; a burst of fast requests travels in at most 64 jobs at once', async () => {
    const settle = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 400));
    // One request a job: the window fills, no further.
    const windowQueue = uniqueQueue('window');
    const pool = open(windowQueue, { maxInFlight: 100 });
    await pool.ready;
    const unbatched = range(0, 300)
      .pipe(poolMap(pool, 'inc', { batch: 1 }))
      .subscribe();
    await settle();
    expect(await waiting(windowQueue)).toBe(100);
    expect(pool.stats).toMatchObject({ busy: 100, queued: 200 });
    unbatched.unsubscribe();

    // 'auto' (the default): 64 jobs until the task is measured, then batches; the default window (512) is not used up.
    const burstQueue = uniqueQueue('burst');
    const burstPool = open(burstQueue);
    await burstPool.ready;
    const outcomes = lastValueFrom(range(0, 5000).pipe(poolMap(burstPool, 'inc'), toArray()));
    await settle();
    expect(await waiting(burstQueue)).toBe(64);
    expect(burstPool.stats.queued).toBe(5000 - 64);
    hosts.push(await startHost(testRedisUrl(), burstQueue, ['--threads', '1']));
    const values = (await outcomes).map((outcome) => outcome.ok && outcome.value).sort((a, b) => Number(a) - Number(b));
    expect(values).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    const events = await redis.xrange(`bull:${burstQueue}:events`, '-', '+');
    const added = events.filter(([, fields]) => fields[0] === 'event' && fields[1] === 'added').length;
    expect(added).toBeGreaterThanOrEqual(65);
    expect(added).toBeLessThan(500);
  }, 60_000);

  test('close ends the requests in flight with PoolClosedError', async () => {
    const pool = open(uniqueQueue('close'));
    await pool.ready;
    const outcomes = lastValueFrom(from([1, 2, 3]).pipe(poolMap(pool, 'inc'), toArray()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pool.close();
    expect((await outcomes).map((outcome) => !outcome.ok && outcome.error)).toEqual([
      expect.any(PoolClosedError),
      expect.any(PoolClosedError),
      expect.any(PoolClosedError),
    ]);
  });

  test('with a host: unknown tasks end with UnknownTaskError; with attempts: 3, a request that fails every run yields one TaskError and its batch-mate its result', async () => {
    const queue = uniqueQueue('attempts');
    hosts.push(await startHost(testRedisUrl(), queue, ['--threads', '1']));
    const pool = open(queue, { attempts: 3, backoff: 10 });
    const unknown = await lastValueFrom(from([1]).pipe(poolMap(pool, 'nope' as 'inc'), toArray()));
    expect(unknown).toEqual([expect.objectContaining({ ok: false, error: expect.any(UnknownTaskError) })]);
    expect((unknown[0] as unknown as { error: UnknownTaskError }).error.known).toEqual(expect.arrayContaining(['inc', 'work']));
    const outcomes = await lastValueFrom(from(makeRequests([[7, 0] as const, [8, 0] as const])).pipe(poolMap(pool, 'work', { ordered: true }), toArray()));
    expect(outcomes).toEqual([expect.objectContaining({ ok: false, error: expect.any(TaskError) }), expect.objectContaining({ ok: true, value: 8 })]);
  }, 60_000);

  test('a host that cannot load its worker module says so and exits 1, taking no job', async () => {
    const queue = uniqueQueue('badmodule');
    await expect(startHost(testRedisUrl(), queue, ['--threads', '1'], fixture('throws-at-load.worker.js'))).rejects.toThrow(
      /exited \(1\) before serving:[\s\S]*cannot serve .*throws-at-load\.worker\.js: Worker .* failed to start/,
    );
    await expect(serveTasks(fixture('no-such.worker.js'), { connection: testRedisUrl(), queue, threads: 1 })).rejects.toBeInstanceOf(WorkerStartError);
  }, 30_000);
});
