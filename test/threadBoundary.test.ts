// Issue "untrusted input at every boundary", the thread pool's part: a request value, a transfer list or
// a message on a worker's port can no longer kill, wedge or starve anything. (The option ranges are in
// options.test.ts, the start failures in startFailure.test.ts, a throwing transfer and timeouts across
// pipelines in contract.test.ts.)
import { from, of } from 'rxjs';
import { Worker as ThreadsWorker } from 'threads';
import {
  createPool,
  DataCloneError,
  type FailureError,
  InvalidOptionError,
  type Pool,
  type PoolOptions,
  TaskTimeoutError,
  UnknownTaskError,
  WorkerCrashedError,
  workRequest,
} from '../src';
import { poolMap } from '../operators';
import { withDeadline } from '../src/deadline';
import { RUN } from '../src/messages';
import { decodeFailure, failureOf, isSerializedError, outcomesProblem, taskFailure, uncloneableFailure, unknownTaskFailure } from '../src/wire';
import type { FaultTasks } from './fixtures/faults.worker';
import type { Tasks } from './fixtures/tasks.worker';
import { closePools, collect, fixture, tasksPool, track } from './helpers';

afterEach(closePools);

function faultsPool(options?: PoolOptions): Pool<FaultTasks> {
  return track(createPool<FaultTasks>(fixture('faults.worker.ts'), options));
}

const values = (n: number, fill: number): Float64Array => new Float64Array(n).fill(fill);

describe('10. transfer lists in a batch', () => {
  test('one request whose transfer list cannot be sent fails alone; its batch-mates run and still move their buffers', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const good = [values(4, 1), values(4, 2), values(4, 3)];
    const bad = values(4, 9);
    const requests = [good[0], bad, good[1], good[2]];
    const outcomes = await collect(
      from(requests).pipe(poolMap(pool, 'sum', { batch: 4, transfer: (array) => (array === bad ? [{} as ArrayBuffer] : [array.buffer]) })),
    );
    const byArg = new Map(outcomes.map((outcome) => [outcome.request.args[0], outcome]));
    expect(byArg.get(bad)).toMatchObject({ ok: false, error: { code: 'ERR_DATA_CLONE', what: 'arguments' } });
    expect(good.map((array) => byArg.get(array))).toEqual(good.map(() => expect.objectContaining({ ok: true })));
    expect(
      good.map((array) => {
        const outcome = byArg.get(array);
        return outcome?.ok && outcome.value;
      }),
    ).toEqual([4, 8, 12]);
    // Moved, not copied, though their batch had to be split.
    expect(good.map((array) => array.byteLength)).toEqual([0, 0, 0]);
  });

  test('two requests that transfer the same buffer, and a third beside them, all run', async () => {
    const pool = tasksPool({ size: 1 });
    const shared = values(8, 1);
    const view = new Float64Array(shared.buffer, 0, 4);
    const other = values(2, 5);
    const outcomes = await collect(from([shared, view, other]).pipe(poolMap(pool, 'sum', { batch: 3, transfer: (array) => [array.buffer] })));
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([8, 4, 10]);
  });

  test('a batch split because one request cannot be cloned keeps the requests that share a buffer together', async () => {
    const pool = tasksPool({ size: 1 });
    const shared = values(8, 1);
    const view = new Float64Array(shared.buffer, 0, 4);
    // Queued before the worker is ready, so the three travel in one batch, which cannot be posted whole.
    const outcomes = await collect(
      from([workRequest([shared] as [Float64Array]), workRequest([view] as [Float64Array]), workRequest([(() => 1) as never] as [Float64Array])]).pipe(
        poolMap(pool, 'sum', { batch: 3, transfer: (array) => (array instanceof Float64Array ? [array.buffer] : []) }),
      ),
    );
    expect(outcomes).toHaveLength(3);
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.value : outcome.error.code))).toEqual([8, 4, 'ERR_DATA_CLONE']);
    expect(pool.stats).toMatchObject({ busy: 0, pipelines: [] });
  });

  test("when a split batch's worker dies, the requests whose part already answered keep their outcome", async () => {
    const pool = faultsPool({ size: 1 });
    // One batch of three (queued before the worker is ready): the uncloneable middle one splits it.
    // A synchronous task, so the first part answers before the worker reads the part that kills it.
    const requests = [
      workRequest([values(2, 1), false] as [Float64Array, boolean]),
      workRequest([(() => 0) as never, false] as [Float64Array, boolean]),
      workRequest([values(2, 3), true] as [Float64Array, boolean]),
    ];
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'sumOrExit', { batch: 3, rerunOnCrash: false })));
    const byArg = new Map(outcomes.map((outcome) => [requests.indexOf(outcome.request) + 1, outcome]));
    expect(byArg.get(1)).toMatchObject({ ok: true, value: 2 });
    expect(byArg.get(2)).toMatchObject({ ok: false, error: { code: 'ERR_DATA_CLONE' } });
    expect(byArg.get(3)).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_CRASHED' } });
  });

  test('a typed array listed instead of its buffer fails that request, naming the mistake', async () => {
    const pool = tasksPool({ size: 1 });
    const [outcome] = await collect(of(values(2, 1)).pipe(poolMap(pool, 'sum', { transfer: (array) => [array as never] })));
    expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_DATA_CLONE' });
    expect(!outcome.ok && outcome.error.message).toMatch(/typed array.*\.buffer/);
  });

  test('a request whose buffers moved into a worker that died is not rerun (nothing is left to run it with)', async () => {
    const pool = faultsPool({ size: 1 });
    const array = values(4, 1);
    const [outcome] = await collect(
      from([workRequest([array, true] as [Float64Array, boolean])]).pipe(poolMap(pool, 'sumOrExit', { transfer: (moved) => [moved.buffer] })),
    );
    expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect(!outcome.ok && outcome.error.message).toMatch(/not run again, because the buffers it transferred went with the worker/);
    expect(pool.stats).toMatchObject({ failed: 1, completed: 0 });
  });
});

describe('11. requests of the wrong shape from plain JavaScript', () => {
  test.each([[null], [5], ['ab'], [undefined]])('workRequest(%p) throws InvalidOptionError at once', (args) => {
    expect(() => workRequest(args as never)).toThrow(InvalidOptionError);
  });

  test('a forged request whose args are not an array yields InvalidOptionError and never occupies the worker', async () => {
    const pool = tasksPool({ size: 1 });
    const forged = { id: -1, args: null, [Symbol.for('rxjs-threadpool.WorkRequest')]: true };
    const outcomes = await collect(from([forged, 3] as never[]).pipe(poolMap(pool, 'double')));
    expect(outcomes).toHaveLength(2);
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_OPTION', option: 'request.args' } });
    expect(outcomes[1]).toMatchObject({ ok: true, value: 6 });
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0 });
  });
});

describe('18. what cannot travel, and what travels changed', () => {
  test('a detached buffer in a transfer list fails its request with DataCloneError instead of arriving empty', async () => {
    const pool = tasksPool({ size: 1 });
    const array = values(4, 1);
    structuredClone(array.buffer, { transfer: [array.buffer] });
    const [outcome] = await collect(of(array).pipe(poolMap(pool, 'sum', { transfer: (moved) => [moved.buffer] })));
    expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_DATA_CLONE' });
    expect(!outcome.ok && outcome.error.message).toMatch(/already transferred \(detached\)/);
  });

  test('a class instance arrives as a plain object without its methods, as the DataCloneError message says', async () => {
    class Point {
      constructor(readonly x: number) {}
      norm(): number {
        return Math.abs(this.x);
      }
    }
    const pool = faultsPool({ size: 1 });
    const [echoed] = await collect(of(new Point(3)).pipe(poolMap(pool, 'echo')));
    expect(echoed.ok && echoed.value).toEqual({ x: 3 });
    expect(echoed.ok && (echoed.value as Partial<Point>).norm).toBeUndefined();
    const [refused] = await collect(of(() => 1).pipe(poolMap(pool, 'echo')));
    expect(!refused.ok && refused.error.message).toMatch(/class instances arrive as plain objects, without their prototype or methods/);
  });
});

describe('results that cannot travel back', () => {
  test('a result moving a buffer it already moved fails with DataCloneError instead of hanging (Node drops such a message)', async () => {
    const pool = faultsPool({ size: 1 });
    const [first] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'moveCachedBuffer')));
    expect(first.ok && Array.from(first.value)).toEqual(Array(8).fill(3));
    const [second] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'moveCachedBuffer')));
    expect(!second.ok && second.error).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'result' });
    expect(pool.stats).toMatchObject({ busy: 0 });
  });

  test.each([['typed array' as const], ['object' as const]])(
    'a result transfer list holding a %s fails that request alone; its batch-mates get their results',
    async (kind) => {
      const pool = faultsPool({ size: 1 });
      // Queued before the worker is ready: one batch of three, the bad one in the middle.
      const outcomes = await collect(from(['good', kind, 'good'] as const).pipe(poolMap(pool, 'badResultTransfer', { batch: 3 })));
      expect(outcomes.map((outcome) => (outcome.ok ? Array.from(outcome.value) : outcome.error.code))).toEqual([[1, 1, 1, 1], 'ERR_DATA_CLONE', [1, 1, 1, 1]]);
      expect(!outcomes[1].ok && outcomes[1].error).toMatchObject({ what: 'result', requestId: outcomes[1].request.id });
    },
  );
});

describe('messages on the worker port', () => {
  test('a malformed run message is refused by the worker, which stays up and serves the pool', async () => {
    let worker: ThreadsWorker | undefined;
    const pool = track(
      createPool<Tasks>(
        () => {
          worker = new ThreadsWorker('./fixtures/tasks.worker.ts');
          return worker;
        },
        { size: 1 },
      ),
    );
    const [before] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId')));
    // What a stray sender could post: a run message whose task list does not match its arguments.
    const errors: unknown[] = [];
    (worker as unknown as NodeJS.EventEmitter).on('error', (error: unknown) => errors.push(error));
    worker?.postMessage({ type: RUN, batch: 99_999, tasks: ['double'], args: [1, 2], spread: false });
    worker?.postMessage({ type: RUN, batch: 99_998, tasks: 'double', args: { length: 2e7 }, spread: false });
    worker?.postMessage({ type: RUN, batch: 99_997, tasks: 'double', args: [1], spread: false, follows: 'the one before' });
    const outcomes = await collect(from([1, 2, 3]).pipe(poolMap(pool, 'double')));
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([2, 4, 6]);
    expect(errors).toEqual([]);
    // The same thread serves on: the worker refused the messages; it was not replaced after a crash.
    const [after] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId')));
    expect(after.ok && after.value).toBe(before.ok && before.value);
    expect(pool.stats.workers).toBe(1);
  });

  test('a malformed reply fails its request with ProtocolError; the worker is replaced and the pool goes on', async () => {
    const pool = faultsPool({ size: 1 });
    const [corrupted] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'corruptReply')));
    expect(!corrupted.ok && corrupted.error).toMatchObject({ code: 'ERR_PROTOCOL', boundary: 'thread', requestId: corrupted.request.id });
    expect(!corrupted.ok && corrupted.error.message).toMatch(/values must be an array/);
    const after = await collect(from([1, 2]).pipe(poolMap(pool, 'echo')));
    expect(after.map((outcome) => outcome.ok && outcome.value)).toEqual([1, 2]);
  });
});

describe('the wire format (src/wire.ts), as both transports use it', () => {
  const job = { id: 7, task: 'work' };
  const error = { name: 'Error', message: 'boom' };

  test('a failure encoded by a worker or a host decodes to the typed error it stands for', () => {
    const known = ['a', 'b'];
    expect(decodeFailure(job, taskFailure(0, new RangeError('too far')))).toMatchObject({ code: 'ERR_TASK_FAILED', cause: { name: 'RangeError' } });
    expect(decodeFailure(job, unknownTaskFailure(0, 'work', known))).toMatchObject({ code: 'ERR_UNKNOWN_TASK', task: 'work', known });
    expect(decodeFailure(job, uncloneableFailure(0, new Error('could not be cloned')))).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'result', requestId: 7 });
    // A host's typed errors travel with what the producer needs to rebuild them.
    const roundTrip = (failure: FailureError): FailureError => decodeFailure(job, failureOf(0, failure));
    expect(roundTrip(new TaskTimeoutError('work', 1, 250))).toMatchObject({ code: 'ERR_TASK_TIMEOUT', timeout: 250, requestId: 7 });
    expect(roundTrip(new WorkerCrashedError(1, 'exited with code 1'))).toMatchObject({ code: 'ERR_WORKER_CRASHED', requestId: 7 });
    expect(roundTrip(new WorkerCrashedError(1, 'exited with code 1')).message).toMatch(/crashed on its worker host/);
    expect(roundTrip(new DataCloneError(1, 'arguments', 'no', 2))).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'arguments', position: 2, requestId: 7 });
    expect(roundTrip(new UnknownTaskError('work', known))).toMatchObject({ code: 'ERR_UNKNOWN_TASK', known });
    expect(decodeFailure(job, { at: 0, kind: 'other', error: { ...error, code: 'ERR_DATA_CLONE', props: { what: 'result' } } })).toMatchObject({
      code: 'ERR_DATA_CLONE',
      what: 'result',
    });
    expect(decodeFailure(job, { at: 0, kind: 'other', error })).toMatchObject({ code: 'ERR_TASK_FAILED' });
  });

  test('one guard checks the outcomes of either transport', () => {
    expect(outcomesProblem({ values: [1, undefined], failures: [taskFailure(1, new Error('x'))], ms: 0.5 }, 2)).toBeUndefined();
    expect(outcomesProblem({ values: [1] }, 2)).toMatch(/values has 1 items for 2 requests/);
    expect(outcomesProblem({ values: [1], ms: Infinity }, 1)).toMatch(/ms must be a finite number/);
    expect(outcomesProblem({ values: [1], failures: [{ at: 0, kind: 'weird', error }] }, 1)).toMatch(/kind must be one of/);
    expect(outcomesProblem({ values: [1], failures: [{ at: 0, kind: 'task', error, extra: 1 }] }, 1)).toMatch(/unknown field "extra" in failures\[0\]/);
    const hostile = { ...error, props: JSON.parse('{"__proto__": {"polluted": true}}') as object };
    expect(isSerializedError(hostile)).toBe(false);
    expect(outcomesProblem({ values: [1], failures: [{ at: 0, kind: 'task', error: hostile }] }, 1)).toMatch(/must be a serialized error/);
  });

  test('withDeadline resolves to whether the work settled in time, and never rejects', async () => {
    await expect(withDeadline(Promise.resolve(1), 1000)).resolves.toBe(true);
    await expect(withDeadline(Promise.reject(new Error('no')), 1000)).resolves.toBe(true);
    await expect(withDeadline(new Promise(() => undefined), 10)).resolves.toBe(false);
  });
});
