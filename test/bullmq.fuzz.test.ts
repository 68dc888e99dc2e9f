/**
 * Fuzzing both ends of the queue's wire with fast-check, for a bounded
 * number of runs:
 *
 * - random job data (JSON of any shape, near-valid jobs, well-formed jobs,
 *   and text that is not JSON) thrown at a host: every job is answered
 *   within 10 s, completed exactly when the schema accepts it (with a result
 *   the producer's check accepts) and refused otherwise; the host stays up
 *   and, once the jobs are answered, holds no request and no more lanes
 *   than its bound;
 * - random job results thrown at a producer by a rogue worker: every
 *   request gets exactly one outcome, `ProtocolError` exactly when the
 *   schema refuses its result, and no job is left in flight to be re-added.
 *
 * The host runs in this process (`serveTasks`) so its pool can be read.
 */
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { lastValueFrom, range, toArray } from 'rxjs';
import { type Pool, ProtocolError } from '../src';
import { createQueuePool, serveTasks, type TaskServer } from '../src/bullmq';
import { JOB_REFUSED, jobDataProblem, jobResultProblem } from '../src/bullmq/wire';
import { poolMap } from '../operators';
import type { QueueTasks } from './fixtures/queue.worker';
import { queueWorker, testRedisUrl, uniqueQueue } from './redis/hosts';

const HOST_RUNS = 100;
const PRODUCER_RUNS = 100;
const PER_RUN = 6;

const url = testRedisUrl();
const { hostname, port } = new URL(url);
const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };

// Task names: the module's fast ones, unknown ones, and anything. (The module's slow tasks would make a
// well-formed job legitimately take long.)
const name = fc.oneof(fc.constantFrom('inc', 'pid', 'nope', ''), fc.string({ maxLength: 4 }));
const arg = fc.jsonValue({ maxDepth: 2 });
const small = fc.jsonValue({ maxDepth: 1 });
const wellFormedJob = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.record(
    {
      v: fc.constant(1),
      tasks: fc.oneof(fc.constantFrom('inc', 'pid', 'nope'), fc.array(fc.constantFrom('inc', 'pid', 'nope'), { minLength: n, maxLength: n })),
      args: fc.oneof(fc.array(arg, { minLength: n, maxLength: n })),
      spread: fc.constant(false),
      timeout: fc.integer({ min: 2000, max: 2 ** 31 - 1 }),
    },
    { requiredKeys: ['v', 'tasks', 'args', 'spread'] },
  ),
);
const nearJob = fc.record(
  {
    v: fc.oneof(fc.constant(1), fc.constant(1), small),
    tasks: fc.oneof(name, fc.array(name, { maxLength: 5 }), small),
    args: fc.oneof(fc.array(arg, { maxLength: 5 }), fc.array(fc.array(arg, { maxLength: 3 }), { maxLength: 5 }), small, fc.constant({ length: 2e7 })),
    spread: fc.oneof(fc.boolean(), small),
    timeout: fc.oneof(fc.integer({ min: 2000, max: 10_000 }), fc.constantFrom(-5, 0, 2.5, 1e12, 2 ** 31), small),
    extra: small,
  },
  { requiredKeys: [] },
);
/** What a job's data is: a value BullMQ stores as JSON, or a text stored as it is (maybe not JSON). */
type Crafted = { readonly data: unknown } | { readonly raw: string };
const crafted: fc.Arbitrary<Crafted> = fc.oneof(
  { arbitrary: wellFormedJob.map((data) => ({ data })), weight: 3 },
  { arbitrary: nearJob.map((data) => ({ data })), weight: 4 },
  { arbitrary: fc.jsonValue().map((data) => ({ data })), weight: 1 },
  { arbitrary: fc.string({ maxLength: 20 }).map((raw) => ({ raw })), weight: 1 },
);

const serializedError = fc.record(
  {
    name: fc.string({ maxLength: 5 }),
    message: fc.string({ maxLength: 10 }),
    code: fc.oneof(fc.string({ maxLength: 3 }), fc.integer()),
    stack: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: ['name', 'message'] },
);
const failure = fc.record(
  {
    at: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -1, max: 2 }), small),
    kind: fc.oneof(fc.constantFrom('task', 'unknown-task', 'uncloneable', 'timeout', 'crashed', 'other'), fc.string({ maxLength: 3 })),
    error: fc.oneof(serializedError, serializedError, small),
    known: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), small),
  },
  { requiredKeys: ['at', 'kind', 'error'] },
);
const nearResult = fc.record(
  {
    values: fc.oneof(fc.array(arg, { minLength: 1, maxLength: 1 }), fc.array(arg, { maxLength: 3 }), small),
    failures: fc.oneof(fc.array(failure, { maxLength: 1 }), fc.array(failure, { maxLength: 2 }), small),
    ms: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), small),
    extra: small,
  },
  { requiredKeys: ['values'] },
);
const wellFormedResult = fc.record(
  {
    values: fc.array(arg, { minLength: 1, maxLength: 1 }),
    failures: fc.array(
      fc.record(
        {
          at: fc.constant(0),
          kind: fc.constantFrom('task', 'unknown-task', 'uncloneable', 'timeout', 'crashed', 'other'),
          error: serializedError,
          known: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
        },
        { requiredKeys: ['at', 'kind', 'error'] },
      ),
      { maxLength: 1 },
    ),
    ms: fc.double({ min: 0, max: 100, noNaN: true }),
  },
  { requiredKeys: ['values'] },
);
const forged = fc.oneof({ arbitrary: wellFormedResult, weight: 3 }, { arbitrary: nearResult, weight: 3 }, { arbitrary: fc.jsonValue(), weight: 1 });

/** What travels: a value after its trip through JSON. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

describe('fuzzing the queue wire', () => {
  let server: TaskServer | undefined;
  let producer: Queue | undefined;
  let events: QueueEvents | undefined;
  let redis: Redis | undefined;
  let rogue: Worker | undefined;
  let pool: Pool<QueueTasks> | undefined;

  afterAll(async () => {
    await pool?.close();
    await rogue?.close();
    await server?.close();
    await Promise.all([producer?.close(), events?.close()]);
    redis?.disconnect();
  });

  test(`random job data at a host (${HOST_RUNS} runs of up to ${PER_RUN} jobs at once): each answered within 10 s as the schema says, nothing held or leaked`, async () => {
    const queue = uniqueQueue('fuzz-host');
    const logged: string[] = [];
    server = await serveTasks(queueWorker, { connection: url, queue, threads: 1, concurrency: 4, log: (line) => logged.push(line) });
    producer = new Queue(queue, { connection });
    events = new QueueEvents(queue, { connection });
    redis = new Redis(url);
    await events.waitUntilReady();
    const counts = { completed: 0, refused: 0 };
    const add = async (job: Crafted): Promise<Job> => {
      // Jobs are kept once finished: waitUntilFinished reads a job that finished before it listened.
      if ('data' in job) return producer!.add('fuzz', job.data);
      // Stored as it is: held back (delayed) until its data is overwritten, then let go.
      const held = await producer!.add('fuzz', null, { delay: 60_000 });
      await redis!.hset(`bull:${queue}:${held.id}`, 'data', job.raw);
      await held.promote();
      return held;
    };
    await fc.assert(
      fc.asyncProperty(fc.array(crafted, { minLength: 1, maxLength: PER_RUN }), async (jobs) => {
        const added = await Promise.all(jobs.map(add));
        await Promise.all(
          added.map(async (job, i) => {
            const sent = jobs[i];
            let expected: string | undefined;
            if ('data' in sent) expected = jobDataProblem(wire(sent.data));
            else {
              try {
                // BullMQ reads an empty text as `{}`.
                expected = jobDataProblem(JSON.parse(sent.raw || '{}'));
              } catch {
                expected = 'job data is not JSON';
              }
            }
            let result: unknown;
            let reason: string | undefined;
            try {
              result = await job.waitUntilFinished(events!, 10_000);
            } catch (error) {
              reason = (error as Error).message;
            }
            if (expected === undefined) {
              expect(reason).toBeUndefined();
              const requests = (sent as { data: { args: unknown[] } }).data.args.length;
              expect(jobResultProblem(result, requests)).toBeUndefined();
              counts.completed++;
            } else {
              expect(reason).toBeDefined();
              expect(reason!.startsWith(`${JOB_REFUSED}${expected}`)).toBe(true);
              counts.refused++;
            }
          }),
        );
      }),
      { numRuns: HOST_RUNS },
    );
    // Every job answered: the host's pool holds no request, and its lanes stay within bound (32 idle
    // lanes with a timeout, and one per task without).
    const stats = server.pool.stats;
    expect(stats).toMatchObject({ busy: 0, queued: 0 });
    expect(stats.pipelines.length).toBeLessThanOrEqual(32 + 2);
    expect(stats.pipelines.every((pipeline) => pipeline.queued === 0 && pipeline.running === 0)).toBe(true);
    expect(logged.filter((line) => /refused/.test(line)).length).toBe(counts.refused);
    expect(logged.filter((line) => /lost Redis/.test(line))).toEqual([]);
    // The fuzz covered both sides of the schema.
    expect(counts.completed).toBeGreaterThan(HOST_RUNS / 4);
    expect(counts.refused).toBeGreaterThan(HOST_RUNS / 4);
  }, 120_000);

  test(`random job results at a producer (${PRODUCER_RUNS} runs of up to ${PER_RUN} requests): every request gets exactly one outcome, ProtocolError exactly when the schema refuses its result`, async () => {
    const queue = uniqueQueue('fuzz-producer');
    const answers = new Map<number, unknown>();
    const runs = new Map<number, number>();
    rogue = new Worker(
      queue,
      async (job) => {
        const key = (job.data as { args: number[] }).args[0];
        runs.set(key, (runs.get(key) ?? 0) + 1);
        return answers.get(key);
      },
      { connection, concurrency: 8 },
    );
    pool = createQueuePool<QueueTasks>({ connection: url, queue, reconcileInterval: 200 });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    let next = 0;
    const counts = { protocol: 0, read: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(forged, { minLength: 1, maxLength: PER_RUN }), async (results) => {
          const first = next;
          next += results.length;
          results.forEach((result, i) => answers.set(first + i, result));
          const outcomes = await lastValueFrom(range(first, results.length).pipe(poolMap(pool!, 'inc', { batch: 1 }), toArray()));
          expect(outcomes.length).toBe(results.length);
          expect(new Set(outcomes.map((outcome) => outcome.request.id)).size).toBe(results.length);
          for (const outcome of outcomes) {
            const key = outcome.request.args[0];
            const sent = wire(results[key - first]);
            const problem = jobResultProblem(sent, 1);
            if (problem !== undefined) {
              expect(outcome).toMatchObject({ ok: false, error: expect.any(ProtocolError) });
              expect((outcome as { error: ProtocolError }).error.reason).toBe(problem);
              counts.protocol++;
            } else {
              const failures = (sent as { failures?: { kind: string }[] }).failures ?? [];
              if (failures.length === 0) expect(outcome).toMatchObject({ ok: true, value: (sent as { values: unknown[] }).values[0] });
              else expect(outcome.ok).toBe(false);
              // Only a host-reported crash is rerun (once, alone): every other job ran once.
              expect(runs.get(key)).toBe(failures[0]?.kind === 'crashed' ? 2 : 1);
              counts.read++;
            }
          }
          expect(pool!.stats).toMatchObject({ busy: 0, queued: 0 });
        }),
        { numRuns: PRODUCER_RUNS },
      );
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((text) => /lost Redis/.test(text))).toEqual([]);
    expect(counts.protocol).toBeGreaterThan(PRODUCER_RUNS / 4);
    expect(counts.read).toBeGreaterThan(PRODUCER_RUNS / 8);
  }, 120_000);
});
