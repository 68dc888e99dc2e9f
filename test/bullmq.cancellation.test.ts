// Cancelling a queue pool's pipeline: unsubscribing removes from Redis the jobs no host has started; with
// cancel: 'terminate', a job a host has started has its requests' signals aborted there.
import { Redis } from 'ioredis';
import { from, Subject } from 'rxjs';
import { poolMap } from '../operators';
import { statsWhere, waitFor } from './helpers';
import { startHost, testRedisUrl, uniqueQueue } from './redis/hosts';
import { queueSuite } from './redis/queueSuite';

describe('cancellation on a queue pool', () => {
  const suite = queueSuite();

  test('unsubscribing removes the jobs no host has started', async () => {
    const queue = uniqueQueue('unsubscribe');
    const pool = suite.open(queue);
    await pool.ready;
    const source = new Subject<number>();
    const subscription = source.pipe(poolMap(pool, 'inc', { batch: 1 })).subscribe();
    for (let i = 0; i < 10; i++) source.next(i);
    await waitFor(async () => (await suite.waiting(queue)) >= 10, 'the ten jobs to be added');
    expect(await suite.waiting(queue)).toBe(10);
    subscription.unsubscribe();
    await waitFor(async () => (await suite.waiting(queue)) === 0, 'the ten jobs to be removed');
    expect(await suite.waiting(queue)).toBe(0);
    await statsWhere(pool, (stats) => stats.busy === 0 && stats.queued === 0, 'the pool to let go of the jobs');
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0 });
  });

  test("cancel: 'terminate' on a job a host runs aborts its requests' signals there: a task that honours it stops", async () => {
    const queue = uniqueQueue('abort');
    suite.hosts.push(await startHost(testRedisUrl(), queue));
    const pool = suite.open(queue);
    await pool.ready;
    const redis = new Redis(testRedisUrl());
    try {
      const subscription = from([60_000])
        .pipe(poolMap(pool, 'awaitAbort', { cancel: 'terminate' }))
        .subscribe();
      await waitFor(async () => (await redis.llen(`bull:${queue}:active`)) === 1, 'the host to start the job');
      subscription.unsubscribe();
      // The job ends on the host once its task has stopped (the job is removed then; its completion stays in the
      // queue's events): its result tells how the task saw its signal.
      await waitFor(async () => (await suite.events(queue, 'completed')) === 1, 'the host to finish the withdrawn job');
      const events = await redis.xrange(`bull:${queue}:events`, '-', '+');
      const completed = events.map(([, fields]) => fields).find((fields) => fields[1] === 'completed') ?? [];
      const result = JSON.parse(completed[completed.indexOf('returnvalue') + 1]) as { values: unknown[] };
      expect(result.values).toEqual(['aborted: AbortError']);
    } finally {
      redis.disconnect();
    }
  });
});
