// Cancelling a queue pool's pipeline: unsubscribing removes from Redis the jobs no host has started.
import { Subject } from 'rxjs';
import { poolMap } from '../operators';
import { statsWhere, waitFor } from './helpers';
import { uniqueQueue } from './redis/hosts';
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
});
