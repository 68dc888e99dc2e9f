// A queue pool with a host: unknown tasks end with UnknownTaskError; attempts reruns a failing request, then it fails once.
import { from, lastValueFrom, toArray } from 'rxjs';
import { makeRequests, TaskError, UnknownTaskError } from '../src';
import { poolMap } from '../operators';
import { startHost, testRedisUrl, uniqueQueue } from './redis/hosts';
import { queueSuite } from './redis/queueSuite';

describe('attempts and unknown tasks on a queue pool', () => {
  const suite = queueSuite();

  test('with a host: unknown tasks end with UnknownTaskError; with attempts: 3, a request that fails every run yields one TaskError and its batch-mate its result', async () => {
    const queue = uniqueQueue('attempts');
    suite.hosts.push(await startHost(testRedisUrl(), queue, ['--threads', '1']));
    const pool = suite.open(queue, { attempts: 3, backoff: 10 });
    const unknown = await lastValueFrom(from([1]).pipe(poolMap(pool, 'nope' as 'inc'), toArray()));
    expect(unknown).toEqual([expect.objectContaining({ ok: false, error: expect.any(UnknownTaskError) })]);
    expect((unknown[0] as unknown as { error: UnknownTaskError }).error.known).toEqual(expect.arrayContaining(['inc', 'work']));
    const outcomes = await lastValueFrom(from(makeRequests([[7, 0] as const, [8, 0] as const])).pipe(poolMap(pool, 'work', { ordered: true }), toArray()));
    expect(outcomes).toEqual([expect.objectContaining({ ok: false, error: expect.any(TaskError) }), expect.objectContaining({ ok: true, value: 8 })]);
  }, 60_000);
});
