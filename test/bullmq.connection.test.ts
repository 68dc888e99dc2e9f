/**
 * A queue pool and its Redis: down at start fails fast with an error naming
 * the address; a Redis restart mid-run (the server process stopped and
 * started again, its data gone) loses no request.
 */
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { makeRequests, type Pool, QueueConnectionError, TaskError } from '../src';
import { createQueuePool, serveTasks } from '../src/bullmq';
import { poolMap } from '../operators';
import type { QueueTasks } from './fixtures/queue.worker';
import { type Host, queueWorker, startHost, stopHosts, uniqueQueue } from './redis/hosts';
import { freePort, type RedisServer, startRedis } from './redis/server';

// Failing fast is the promise these bounds check: an unreachable Redis is a QueueConnectionError within
// connectTimeout (1.5 s by default, README), not a pool that retries for ever. A refused connection fails at
// once; 5 s tells that apart from retrying (ioredis backs off without end) while leaving a loaded 2-CPU
// machine room.
const FAILS_FAST_MS = 5000;

describe('a queue pool and its Redis', () => {
  const pools: Pool<QueueTasks>[] = [];
  let hosts: Host[] = [];
  let server: RedisServer | undefined;

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await stopHosts(hosts);
    await server?.stop();
  });

  test('Redis down at start: the pool fails fast with QueueConnectionError naming the address, and so do its requests', async () => {
    const port = await freePort();
    const started = performance.now();
    const pool = createQueuePool<QueueTasks>({ connection: `redis://127.0.0.1:${port}`, queue: 'nowhere' });
    pools.push(pool);
    const error = await pool.ready.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(QueueConnectionError);
    expect(error).toMatchObject({ code: 'ERR_QUEUE_CONNECTION', address: `127.0.0.1:${port}` });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect(elapsed).toBeLessThan(FAILS_FAST_MS);
    const outcomes = await lastValueFrom(from([1, 2]).pipe(poolMap(pool, 'inc'), toArray()));
    expect(outcomes).toEqual([expect.objectContaining({ ok: false, error }), expect.objectContaining({ ok: false, error })]);
  });

  test('Redis down at start: a host fails fast with QueueConnectionError naming the address', async () => {
    const port = await freePort();
    const started = performance.now();
    await expect(serveTasks(queueWorker, { connection: { host: '127.0.0.1', port }, queue: 'nowhere', threads: 1 })).rejects.toMatchObject({
      code: 'ERR_QUEUE_CONNECTION',
      message: expect.stringContaining(`127.0.0.1:${port}`),
    });
    expect(performance.now() - started).toBeLessThan(FAILS_FAST_MS);
  });

  test('a Redis restart mid-run (stop and start the server process) loses no request', async () => {
    server = await startRedis();
    const queue = uniqueQueue('restart');
    hosts = [await startHost(server.url, queue, ['--threads', '1', '--lock-duration', '3000', '--stalled-interval', '1000'])];
    const pool = createQueuePool<QueueTasks>({ connection: server.url, queue, reconcileInterval: 500 });
    pools.push(pool);
    await pool.ready;
    const count = 3000;
    const requests = makeRequests(Array.from({ length: count }, (_, i) => [i, 1] as const));
    let seen = 0;
    let restarted: Promise<void> | undefined;
    const outcomes = await lastValueFrom(
      from(requests).pipe(
        poolMap(pool, 'work'),
        tap(() => {
          if (++seen !== 500) return;
          const redis = server as RedisServer;
          restarted = (async () => {
            await redis.stop();
            // Redis stays down for a second: the scenario, not a wait for anything.
            await new Promise((resolve) => setTimeout(resolve, 1000));
            await redis.start();
          })();
        }),
        toArray(),
      ),
    );
    await restarted;
    expect(restarted).toBeDefined();
    const ids = outcomes.map((outcome) => outcome.request.id);
    expect(ids.length).toBe(count);
    expect(new Set(ids)).toEqual(new Set(requests.map((request) => request.id)));
    for (const outcome of outcomes) {
      const i = outcome.request.args[0];
      if (outcome.ok) expect(outcome.value).toBe(i);
      else {
        expect(i % 20).toBe(7);
        expect(outcome.error).toBeInstanceOf(TaskError);
      }
    }
    expect(outcomes.filter((outcome) => !outcome.ok).length).toBe(count / 20);
  }, 60_000);
});
