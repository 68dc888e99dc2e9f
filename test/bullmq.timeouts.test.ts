// A queue pool's timeout: with no host to run it, a request ends with TaskTimeoutError and its job is withdrawn from Redis.
import { from, lastValueFrom, toArray } from 'rxjs';
import { TaskTimeoutError } from '../src';
import { poolMap } from '../operators';
import { waitFor } from './helpers';
import { uniqueQueue } from './redis/hosts';
import { queueSuite } from './redis/queueSuite';

describe('timeouts on a queue pool', () => {
  const suite = queueSuite();

  test('with no host, a request with a timeout ends with TaskTimeoutError and its job is withdrawn', async () => {
    const queue = uniqueQueue('timeout');
    const pool = suite.open(queue);
    await pool.ready;
    const outcomes = await lastValueFrom(from([1, 2]).pipe(poolMap(pool, 'inc', { timeout: 300 }), toArray()));
    expect(outcomes.map((outcome) => !outcome.ok && outcome.error)).toEqual([expect.any(TaskTimeoutError), expect.any(TaskTimeoutError)]);
    // Withdrawing the job is a Redis command of its own, after the outcome.
    await waitFor(async () => (await suite.waiting(queue)) === 0, 'the timed-out jobs to leave the wait list');
    expect(await suite.waiting(queue)).toBe(0);
  });
});
