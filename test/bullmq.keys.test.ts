/**
 * key on a queue pool: two host processes serving test/fixtures/queue.keyed.worker.ts. No host affinity: the
 * scheduler keeps at most one job per key in flight, so a key's requests run one at a time, in arrival order,
 * even when they run on different hosts; `this.key` on a host is the request's key; different keys run at once.
 */
import { from, type OperatorFunction } from 'rxjs';
import type { Pool } from '../src';
import { createQueuePool } from '../src/bullmq';
import { poolMap, poolPipe } from '../operators';
import type { QueueKeyedTasks } from './fixtures/queue.keyed.worker';
import { closePools, collect, fixture, track } from './helpers';
import { byKey, expectKeyedOrder, visits } from './keyedChecks';
import { startHost, testRedisUrl, uniqueQueue } from './redis/hosts';
import { queueSuite } from './redis/queueSuite';

describe('key on a queue pool, two hosts', () => {
  const suite = queueSuite();
  const queue = uniqueQueue('keys');
  /** A queue pool on the suite's queue, closed after the test. */
  const open = (): Pool<QueueKeyedTasks> => track(createQueuePool<QueueKeyedTasks>({ connection: testRedisUrl(), queue }));

  beforeAll(async () => {
    const url = testRedisUrl();
    const module = fixture('queue.keyed.worker.ts');
    // Every host that started is stopped after the suite (queueSuite), even when the other one failed to start.
    const started = await Promise.allSettled([0, 1].map(() => startHost(url, queue, ['--threads', '2'], module)));
    for (const host of started) if (host.status === 'fulfilled') suite.hosts.push(host.value);
    for (const host of started) if (host.status === 'rejected') throw host.reason;
  }, 60_000);
  afterEach(closePools);

  test('20 keys × 20 requests, varied task times: every key in order, one at a time, across both hosts', async () => {
    const pool = open();
    await pool.ready;
    // A few ms of CPU, and every third request of a key also sleeps a few ms (an await on the host).
    const requests = visits(20, 20, (key, seq) => ({ busyMs: (key * 7 + seq * 3) % 4, ...(seq % 3 === 0 ? { sleepMs: 1 + ((key + seq) % 5) } : {}) }), 4242);
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'visit', { key: byKey })));

    // Exactly one outcome per request, all ok.
    expect(outcomes).toHaveLength(requests.length);
    expect(new Set(outcomes.map((outcome) => outcome.request.id)).size).toBe(requests.length);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    const seen = expectKeyedOrder(outcomes);
    expect(seen.size).toBe(20);
    for (const [, list] of seen) expect(list.map((each) => each.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    // Both hosts ran requests, and some key ran on both: its order held across hosts, not within one.
    const hostPids = suite.hosts.map((host) => host.child.pid);
    const ranOn = new Set([...seen.values()].flatMap((list) => list.map((each) => each.pid)));
    expect([...ranOn].sort()).toEqual([...hostPids].sort());
    const acrossHosts = [...seen.values()].filter((list) => new Set(list.map((each) => each.pid)).size === 2);
    expect(acrossHosts.length).toBeGreaterThan(0);
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0, completed: requests.length, failed: 0 });
  });

  test('this.key on a host is the request key, of its type (1 and "1" are different keys); undefined in an unkeyed pipeline', async () => {
    const pool = open();
    await pool.ready;
    const keys: (string | number)[] = [1, '1', 2, 'two', 0, -3.5, ''];
    const keyed = await collect(from(keys).pipe(poolMap(pool, 'keyOf', { key: (value: unknown) => value as string | number })));
    expect(keyed).toHaveLength(keys.length);
    for (const outcome of keyed) expect(outcome).toMatchObject({ ok: true, value: { key: outcome.request.args[0] } });
    const unkeyed = await collect(from(['a', 'b']).pipe(poolMap(pool, 'keyOf')));
    expect(unkeyed.map((outcome) => outcome.ok && outcome.value)).toEqual([{}, {}]);
  });

  test('poolPipe on a queue pool fails at subscribe with InvalidOptionError: stream tasks are local', async () => {
    const pool = open();
    // The queue fixture has no stream task: the pool's kind is refused before any task is looked at.
    const stream = poolPipe(pool as never, 'visit' as never) as OperatorFunction<unknown, unknown>;
    const failed = collect(from([{ key: 'a', seq: 1 }]).pipe(stream));
    await expect(failed).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'pool' });
    await expect(failed).rejects.toThrow(/stream tasks are local/);
  });

  test('different keys run at once: requests of two keys overlap in time (they sleep: no CPU needed)', async () => {
    const pool = open();
    await pool.ready;
    const requests = [1, 2, 3, 4, 5, 6].flatMap((seq) => [
      { key: 'a', seq, sleepMs: 50 },
      { key: 'b', seq, sleepMs: 50 },
    ]);
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'visit', { key: byKey })));
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    const seen = expectKeyedOrder(outcomes);
    const [a, b] = [seen.get('a')!, seen.get('b')!];
    expect([a.length, b.length]).toEqual([6, 6]);
    expect(a.some((x) => b.some((y) => x.start < y.end && y.start < x.end))).toBe(true);
  });
});
