/**
 * A host's job size limits (`--max-job-bytes`, `--max-job-requests`): a job
 * past either is refused before it is parsed or run, and a producer whose
 * job a host refused ends those requests with `ProtocolError` naming the
 * limit, instead of rerunning them as after a crash.
 */
import { type Job, Queue, QueueEvents } from 'bullmq';
import { lastValueFrom, range, toArray } from 'rxjs';
import { type Pool, ProtocolError } from '../src';
import { createQueuePool } from '../src/bullmq';
import { poolMap } from '../operators';
import type { QueueTasks } from './fixtures/queue.worker';
import { type Host, startHost, stopHosts, testRedisUrl, uniqueQueue, waitForLog } from './redis/hosts';

describe('a host refuses jobs past its limits', () => {
  const queue = uniqueQueue('limits');
  let host: Host | undefined;
  let producer: Queue | undefined;
  let events: QueueEvents | undefined;
  let pool: Pool<QueueTasks> | undefined;

  const ending = async (job: Job): Promise<unknown> => {
    try {
      return { completed: await job.waitUntilFinished(events as QueueEvents, 10_000) };
    } catch (error) {
      return { failed: (error as Error).message };
    }
  };

  beforeAll(async () => {
    const url = testRedisUrl();
    const { hostname, port } = new URL(url);
    const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
    producer = new Queue(queue, { connection });
    events = new QueueEvents(queue, { connection });
    await events.waitUntilReady();
    host = await startHost(url, queue, ['--threads', '1', '--max-job-bytes', '2048', '--max-job-requests', '8']);
  }, 60_000);

  afterAll(async () => {
    await pool?.close();
    await stopHosts(host ? [host] : []);
    await Promise.all([producer?.close(), events?.close()]);
  });

  test('a job of more bytes or more requests than the host accepts is refused, a job within both runs', async () => {
    const big = await producer!.add('crafted', { v: 1, tasks: 'inc', args: ['x'.repeat(3000)], spread: false });
    expect(await ending(big)).toEqual({
      failed: expect.stringMatching(
        /^rxjs-threadpool: job refused: job data of (at least )?\d+ bytes, more than the 2048 this host accepts \(its maxJobBytes, --max-job-bytes\)$/,
      ),
    });
    // Multi-byte text is counted in UTF-8 bytes, not characters: 700 × 3 bytes.
    const wide = await producer!.add('crafted', { v: 1, tasks: 'inc', args: ['€'.repeat(700)], spread: false });
    expect(await ending(wide)).toEqual({ failed: expect.stringMatching(/job data of 21\d\d bytes, more than the 2048/) });
    const many = await producer!.add('crafted', { v: 1, tasks: 'inc', args: [1, 2, 3, 4, 5, 6, 7, 8, 9], spread: false });
    expect(await ending(many)).toEqual({ failed: expect.stringMatching(/9 requests in one job, more than the 8 this host accepts/) });
    const fits = await producer!.add('crafted', { v: 1, tasks: 'inc', args: [1, 2, 3, 4, 5, 6, 7, 8], spread: false });
    expect(await ending(fits)).toEqual({ completed: expect.objectContaining({ values: [2, 3, 4, 5, 6, 7, 8, 9] }) });
    await waitForLog([host!], new RegExp(`job ${many.id} refused`));
    expect(host!.alive()).toBe(true);
  });

  test('a queue pool whose job a host refused ends its requests with ProtocolError naming the limit, once, without a rerun', async () => {
    pool = createQueuePool<QueueTasks>({ connection: testRedisUrl(), queue });
    const outcomes = await lastValueFrom(range(0, 20).pipe(poolMap(pool, 'inc', { batch: 20 }), toArray()));
    expect(outcomes.length).toBe(20);
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      const error = (outcome as { error: ProtocolError }).error;
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ boundary: 'queue', requestId: outcome.request.id, refused: true });
      expect(error.reason).toMatch(/^20 requests in one job, more than the 8 this host accepts/);
      expect(error.message).toMatch(/^The worker host refused the job for request \d+: 20 requests/);
      expect(error.message).toMatch(/--max-job-requests/);
    }
    // No rerun: one job, refused once.
    expect(host!.log().match(/refused: 20 requests/g)?.length).toBe(1);
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0, failed: 20 });
  });
});
