/**
 * The producer does not trust job results (issue 19, item 8): a rogue
 * worker on the queue (a plain BullMQ `Worker`, as anyone on the Redis
 * network could run) answers with forged return values. Each request ends
 * once, with `ProtocolError` (`boundary: 'queue'`), instead of hanging while
 * its job is added again and again; no false "lost Redis" warning.
 */
import { Worker } from 'bullmq';
import { lastValueFrom, range, toArray } from 'rxjs';
import { type Pool, ProtocolError } from '../src';
import { createQueuePool } from '../src/bullmq';
import { poolMap } from '../operators';
import type { QueueTasks } from './fixtures/queue.worker';
import { testRedisUrl, uniqueQueue } from './redis/hosts';

const error = { name: 'Error', message: 'boom' };
/** Forged return values for a job of one request, and what is wrong with each. */
const forged: [unknown, RegExp][] = [
  [null, /job result must be an object, got null/],
  ['hi', /job result must be an object, got a string/],
  [5, /job result must be an object, got number 5/],
  [[1], /job result must be an object, got an array/],
  [{}, /values must be an array, got undefined/],
  [{ values: 5 }, /values must be an array, got number 5/],
  [{ values: [1, 2] }, /values has 2 items for 1 requests/],
  [{ values: [null], failures: [null] }, /failures\[0\] must be an object, got null/],
  [{ values: [null], failures: 5 }, /failures must be an array/],
  [{ values: [null], failures: [{ at: 0, kind: 'task', error: null }] }, /failures\[0\].error must be a serialized error/],
  [{ values: [null], failures: [{ at: 0, kind: 'unknown-task', error, known: 5 }] }, /failures\[0\].known must be an array of task names/],
  [{ values: [null], failures: [{ at: 1, kind: 'task', error }] }, /failures\[0\].at must be a request position from 0 to 0/],
  [{ values: [null], failures: [{ at: 0, kind: 'weird', error }] }, /failures\[0\].kind must be one of/],
  [
    {
      values: [null],
      failures: [
        { at: 0, kind: 'task', error },
        { at: 0, kind: 'task', error },
      ],
    },
    /failures has 2 items for 1 requests/,
  ],
  [{ values: [1], ms: 'x' }, /ms must be a finite number ≥ 0/],
  [
    { values: [null], failures: [{ at: 0, kind: 'task', error: { ...error, props: JSON.parse('{"__proto__": {"x": 1}}') } }] },
    /failures\[0\].error must be a serialized error/,
  ],
];

describe('a queue pool refuses malformed job results', () => {
  let pool: Pool<QueueTasks> | undefined;
  let rogue: Worker | undefined;
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.message);

  beforeAll(() => process.on('warning', onWarning));

  afterAll(async () => {
    process.off('warning', onWarning);
    await pool?.close();
    await rogue?.close();
  });

  test('8. each forged result ends its request once with ProtocolError; the jobs are not added again', async () => {
    const url = testRedisUrl();
    const queue = uniqueQueue('forged');
    const { hostname, port } = new URL(url);
    /** How often the rogue was handed each request's job. */
    const runs = new Map<number, number>();
    rogue = new Worker(
      queue,
      async (job) => {
        const i = (job.data as { args: number[] }).args[0];
        runs.set(i, (runs.get(i) ?? 0) + 1);
        // The last request gets a well-formed result: the pool still reads those.
        return i === forged.length ? { values: [i + 1] } : forged[i][0];
      },
      { connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null }, concurrency: 4 },
    );
    pool = createQueuePool<QueueTasks>({ connection: url, queue, reconcileInterval: 100 });
    const outcomes = await lastValueFrom(range(0, forged.length + 1).pipe(poolMap(pool, 'inc', { batch: 1, ordered: true }), toArray()));
    expect(outcomes.length).toBe(forged.length + 1);
    outcomes.slice(0, -1).forEach((outcome, i) => {
      expect(outcome).toMatchObject({ ok: false, request: { args: [i] } });
      const failure = (outcome as { error: ProtocolError }).error;
      expect(failure).toBeInstanceOf(ProtocolError);
      expect(failure).toMatchObject({ code: 'ERR_PROTOCOL', boundary: 'queue', requestId: outcome.request.id });
      expect(failure.reason).toMatch(forged[i][1]);
    });
    expect(outcomes[forged.length]).toMatchObject({ ok: true, value: forged.length + 1 });
    // Every batch is settled, so none can be added again; each job ran once.
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0, failed: forged.length, completed: 1 });
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(warnings.filter((text) => /lost Redis/.test(text))).toEqual([]);
  }, 60_000);

  test('a well-formed failure is read as the host meant it: a DataCloneError of the arguments stays one of the arguments', async () => {
    const url = testRedisUrl();
    const queue = uniqueQueue('clone');
    const { hostname, port } = new URL(url);
    const clone = {
      name: 'DataCloneError',
      message: 'Argument 0 of request 3 cannot be sent',
      code: 'ERR_DATA_CLONE',
      props: { requestId: 3, what: 'arguments', position: 0 },
    };
    const worker = new Worker(queue, async () => ({ values: [null], failures: [{ at: 0, kind: 'other', error: clone }] }), {
      connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null },
    });
    const queuePool = createQueuePool<QueueTasks>({ connection: url, queue });
    try {
      const [outcome] = await lastValueFrom(range(0, 1).pipe(poolMap(queuePool, 'inc'), toArray()));
      expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_DATA_CLONE', what: 'arguments', position: 0, requestId: outcome.request.id } });
    } finally {
      await queuePool.close();
      await worker.close();
    }
  });
});
