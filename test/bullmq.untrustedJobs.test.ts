/**
 * Worker hosts do not trust the job data (issue 19, items 1-7): jobs
 * crafted with BullMQ's own `Queue.add` (as another producer, a stale one,
 * or anyone on the Redis network could write them) are refused at once with
 * BullMQ's `UnrecoverableError` (so no other host retries them), logged once
 * with their job id, and never kill, wedge or leak anything: two real host
 * processes stay up and go on running well-formed jobs.
 */
import { type Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { type Host, startHost, stopHosts, testRedisUrl, uniqueQueue, waitForLog } from './redis/hosts';

/** How a crafted job ended: its return value, or BullMQ's failed reason. */
type Ending = { readonly completed: unknown } | { readonly failed: string };

// One thread and four jobs at once per host: a leaked thread slot or a wedged job shows within a few jobs.
const hostArgs = ['--threads', '1', '--concurrency', '4'];
const ok = { v: 1, tasks: 'inc', args: [1], spread: false };

describe('worker hosts refuse malformed job data', () => {
  const queue = uniqueQueue('untrusted');
  let hosts: Host[] = [];
  let producer: Queue;
  let events: QueueEvents;
  let redis: Redis;

  const add = (data: unknown, opts: Parameters<Queue['add']>[2] = {}): Promise<Job> => producer.add('crafted', data, { removeOnFail: false, ...opts });
  /** How the job ended, within 10 s (a host that answers later, or never, fails the test). */
  const ending = async (job: Job): Promise<Ending> => {
    try {
      return { completed: await job.waitUntilFinished(events, 10_000) };
    } catch (error) {
      return { failed: (error as Error).message };
    }
  };
  /** Every refused job is logged once, by the one host that took it, with its id. */
  const loggedOnce = async (job: Job): Promise<void> => {
    const line = new RegExp(`job ${job.id} refused`);
    await waitForLog(hosts, line);
    const count = hosts.map(
      (host) =>
        host
          .log()
          .split('\n')
          .filter((text) => line.test(text)).length,
    );
    expect(count.reduce((a, b) => a + b, 0)).toBe(1);
  };
  /** The hosts are up and run well-formed jobs: `n` of them at once, each within the bound. */
  const stillServing = async (n = 8): Promise<void> => {
    expect(hosts.map((host) => host.alive())).toEqual([true, true]);
    const jobs = await Promise.all(Array.from({ length: n }, () => add(ok)));
    const endings = await Promise.all(jobs.map(ending));
    expect(endings).toEqual(Array.from({ length: n }, () => ({ completed: expect.objectContaining({ values: [2] }) })));
  };
  /** A refused job: failed once (no retry, whatever its `attempts`), with the reason, logged once. */
  const expectRefused = async (job: Job, reason: RegExp): Promise<void> => {
    const end = await ending(job);
    expect(end).toEqual({ failed: expect.stringMatching(reason) });
    expect((end as { failed: string }).failed).toMatch(/^rxjs-threadpool: job refused: /);
    // Read raw: a job whose data is not JSON cannot be read with Job.fromId.
    expect(await redis.hget(`bull:${queue}:${job.id}`, 'atm')).toBe('1');
    expect(await producer.getJobState(job.id as string)).toBe('failed');
    await loggedOnce(job);
  };

  beforeAll(async () => {
    const url = testRedisUrl();
    const { hostname, port } = new URL(url);
    const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
    redis = new Redis(url);
    producer = new Queue(queue, { connection });
    events = new QueueEvents(queue, { connection });
    await events.waitUntilReady();
    hosts = await Promise.all([startHost(url, queue, hostArgs), startHost(url, queue, hostArgs)]);
  }, 60_000);

  afterAll(async () => {
    await stopHosts(hosts);
    await Promise.all([producer?.close(), events?.close()]);
    redis?.disconnect();
  });

  test('1. tasks of the wrong type (a number) is refused, not retried by the other host, and neither host dies', async () => {
    const job = await add({ v: 1, tasks: 5, args: [1], spread: false }, { attempts: 3 });
    await expectRefused(job, /tasks must be a task name or an array of them, got number 5/);
    await stillServing();
  });

  test('2. args that is not an array (5, {}) is refused at once, so 16 such jobs do not fill the hosts', async () => {
    const jobs = await Promise.all(Array.from({ length: 16 }, (_, i) => add({ v: 1, tasks: 'inc', args: i % 2 ? 5 : {}, spread: false })));
    for (const job of jobs) await expectRefused(job, /args must be an array, got (number 5|an object)/);
    await stillServing();
  });

  test('3. spread: true with an argument list that is null is refused, and 8 such jobs leak no thread slot', async () => {
    const jobs = await Promise.all(Array.from({ length: 8 }, () => add({ v: 1, tasks: 'inc', args: [null], spread: true })));
    for (const job of jobs) await expectRefused(job, /args\[0\] must be an argument list \(spread is true\), got null/);
    await stillServing();
  });

  test('4. args: {"length": 2e7} (a 64-byte job) is refused before anything is allocated for it', async () => {
    const job = await add({ v: 1, tasks: 'inc', args: { length: 2e7 }, spread: false });
    await expectRefused(job, /args must be an array, got an object/);
    // One claiming more requests than a host accepts is refused before it is looked at further.
    const many = await add({ v: 1, tasks: 'inc', args: new Array(65_537).fill(0), spread: false });
    await expectRefused(many, /65537 requests in one job, more than the 65536 this host accepts \(its maxJobRequests, --max-job-requests\)/);
    await stillServing();
  });

  test('5. fewer task names than requests is refused on the host: it never reaches a thread', async () => {
    const job = await add({ v: 1, tasks: ['inc'], args: [1, 2], spread: false });
    await expectRefused(job, /tasks names 1 tasks for 2 requests/);
    expect(hosts.map((host) => host.log())).not.toContainEqual(expect.stringMatching(/crash|TypeError/i));
    await stillServing();
  });

  test('6. a timeout that is not a whole number of ms from 1 to 2^31-1 is refused; a good one is kept', async () => {
    for (const timeout of [-5, 'x', 1e12, 2.5, 0, null]) {
      const job = await add({ v: 1, tasks: 'inc', args: [1], spread: false, timeout });
      await expectRefused(job, /timeout must be a whole number of ms from 1 to 2147483647/);
    }
    const slow = await add({ v: 1, tasks: 'sleep', args: [5000], spread: false, timeout: 200 });
    expect(await ending(slow)).toEqual({
      completed: expect.objectContaining({ values: [null], failures: [expect.objectContaining({ at: 0, kind: 'timeout' })] }),
    });
    await stillServing();
  });

  test('7. job data that is not JSON is refused (no "lost Redis" in the log), not left active for ever', async () => {
    // Queue.add writes JSON; a writer that does not is simulated by overwriting the stored data before a host sees it.
    const job = await add(ok, { delay: 60_000 });
    await redis.hset(`bull:${queue}:${job.id}`, 'data', '{"v":1,"tasks":');
    await job.promote();
    await expectRefused(job, /job data is not JSON/);
    expect(hosts.map((host) => host.log())).not.toContainEqual(expect.stringMatching(/lost Redis/));
    await stillServing();
  });

  test('other shapes: not an object, a wrong version, extra or missing fields, empty or overlong names', async () => {
    const cases: [unknown, RegExp][] = [
      [null, /job data must be an object, got null/],
      ['hi', /job data must be an object, got a string/],
      [[1], /job data must be an object, got an array/],
      [{ ...ok, v: 2 }, /v must be 1/],
      [{ tasks: 'inc', args: [1], spread: false }, /v must be 1/],
      [{ ...ok, extra: 1 }, /unknown field "extra"/],
      [{ ...ok, spread: 'no' }, /spread must be a boolean/],
      [{ ...ok, args: [] }, /args is empty/],
      [{ ...ok, tasks: '' }, /tasks is an empty name/],
      [{ ...ok, tasks: 'x'.repeat(2000) }, /task name of 2000 characters, more than 1000/],
    ];
    for (const [data, reason] of cases) await expectRefused(await add(data), reason);
    await stillServing();
  });

  test("unknown task names in a job end as those requests' UnknownTaskError; the job completes and its other requests run", async () => {
    const job = await add({ v: 1, tasks: ['inc', 'nope', 'inc'], args: [1, 2, 3], spread: false });
    const end = await ending(job);
    expect(end).toEqual({
      completed: expect.objectContaining({
        values: [2, null, 4],
        failures: [
          { at: 1, kind: 'unknown-task', error: expect.objectContaining({ name: 'UnknownTaskError' }), known: expect.arrayContaining(['inc', 'work']) },
        ],
      }),
    });
    await stillServing();
  });
});
