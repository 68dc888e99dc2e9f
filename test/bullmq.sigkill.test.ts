/**
 * poolMap over BullMQ with two worker host processes, one killed with
 * SIGKILL mid-run: 10,000 requests, 5% failing, every request id exactly
 * once across the results and errors streams.
 */
import { Redis } from 'ioredis';
import { from, lastValueFrom, map, merge, share, tap, toArray } from 'rxjs';
import { makeRequests, type Pool, TaskError } from '../src';
import { createQueuePool } from '../src/bullmq';
import { poolMap, splitOutcomes } from '../operators';
import type { QueueTasks } from './fixtures/queue.worker';
import { type Host, startHost, stopHosts, testRedisUrl, uniqueQueue } from './redis/hosts';

// Stalled jobs are found 3 s after their host died (BullMQ's default is 30 s).
const hostArgs = ['--threads', '1', '--lock-duration', '3000', '--stalled-interval', '1000'];

describe('poolMap over BullMQ, two hosts', () => {
  let hosts: Host[] = [];
  let pool: Pool<QueueTasks> | undefined;

  afterAll(async () => {
    await pool?.close();
    await stopHosts(hosts);
  });

  test('10,000 requests, 5% failing, one host SIGKILLed mid-run: every id exactly once across results and errors', async () => {
    const url = testRedisUrl();
    const queue = uniqueQueue('sigkill');
    hosts = await Promise.all([startHost(url, queue, hostArgs), startHost(url, queue, hostArgs)]);
    const queuePool = createQueuePool<QueueTasks>({ connection: url, queue });
    pool = queuePool;
    await queuePool.ready;

    const count = 10_000;
    const requests = makeRequests(Array.from({ length: count }, (_, i) => [i, 0.3] as const));
    let seen = 0;
    let killedAt = -1;
    const outcome$ = from(requests).pipe(
      poolMap(queuePool, 'work'),
      tap(() => {
        if (++seen === 2000) {
          killedAt = seen;
          hosts[0].child.kill('SIGKILL');
        }
      }),
      share(),
    );
    const { results$, errors$ } = splitOutcomes(outcome$);
    const all = await lastValueFrom(
      merge(
        results$.pipe(map((result) => ({ id: result.request.id, ok: true as const, value: result.value, i: result.request.args[0] }))),
        errors$.pipe(map((failure) => ({ id: failure.request.id, ok: false as const, error: failure.error, i: failure.request.args[0] }))),
      ).pipe(toArray()),
    );

    expect(killedAt).toBe(2000);
    expect(await hosts[0].exited).toBe('SIGKILL');
    const ids = all.map((outcome) => outcome.id);
    expect(new Set(ids).size).toBe(count);
    expect(ids.length).toBe(count);
    expect(new Set(ids)).toEqual(new Set(requests.map((request) => request.id)));
    const failures = all.filter((outcome) => !outcome.ok);
    expect(failures.length).toBe(count / 20);
    for (const outcome of all) {
      if (outcome.ok) {
        expect(outcome.value).toBe(outcome.i);
      } else {
        expect(outcome.i % 20).toBe(7);
        expect(outcome.error).toBeInstanceOf(TaskError);
        expect((outcome.error as TaskError).cause).toMatchObject({ name: 'RangeError', code: 'E_ON_PURPOSE' });
      }
    }
    expect(queuePool.stats).toMatchObject({ completed: count - count / 20, failed: count / 20, queued: 0, busy: 0 });
    // The killed host had jobs running: BullMQ found them stalled and another host ran them again.
    const redis = new Redis(url);
    try {
      const events = await redis.xrange(`bull:${queue}:events`, '-', '+');
      expect(events.filter(([, fields]) => fields[0] === 'event' && fields[1] === 'stalled').length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});
