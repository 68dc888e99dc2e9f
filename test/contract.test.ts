// Issue "the contract holds at every edge": exactly one outcome per request, whatever the caller, the
// source or a batch-mate does. One describe per numbered item, on real workers.
import { config, from, Observable, of, Subject, take } from 'rxjs';
import { Worker as ThreadsWorker } from 'threads';
import { createPool, type Outcome, type Pool, type PoolOptions, WorkerStartError, workRequest } from '../src';
import { poolMap, results } from '../operators';
import type { FaultTasks } from './fixtures/faults.worker';
import type { Tasks } from './fixtures/tasks.worker';
import { closePools, collect, fixture, tasksPool, track } from './helpers';

afterEach(closePools);

function faultsPool(options?: PoolOptions): Pool<FaultTasks> {
  return track(createPool<FaultTasks>(fixture('faults.worker.ts'), options));
}

/** A synchronous source of `count` values that stops as soon as its subscriber is closed; `emitted` says how far it got. */
function syncSource(count: number): { readonly source: Observable<number>; emitted: () => number } {
  let emitted = 0;
  const source = new Observable<number>((subscriber) => {
    for (let i = 0; i < count && !subscriber.closed; i++) {
      emitted++;
      subscriber.next(i);
    }
    subscriber.complete();
  });
  return { source, emitted: () => emitted };
}

/** A pool whose every request fails at once (it is closed). */
async function closedPool(): Promise<Pool<Tasks>> {
  const pool = tasksPool({ size: 1 });
  await pool.close();
  return pool;
}

describe('1. a per-request callback that throws', () => {
  const throwOn2 = (n: number) => {
    if (n === 2) throw new Error('no');
    return [];
  };

  test.each([[false], [true]])(
    'a throwing transfer yields that request CallbackError naming the option and request; the others run; ordered %p completes',
    async (ordered) => {
      const unhandled = jest.fn();
      const before = config.onUnhandledError;
      config.onUnhandledError = unhandled;
      try {
        const pool = tasksPool({ size: 2 });
        const outcomes = await collect(of(1, 2, 3).pipe(poolMap(pool, 'double', { transfer: throwOn2, ordered })));
        expect(outcomes).toHaveLength(3);
        if (ordered) expect(outcomes.map(({ request }) => request.args[0])).toEqual([1, 2, 3]);
        const failed = outcomes.find(({ request }) => request.args[0] === 2) as Outcome<[number], number>;
        expect(failed.ok).toBe(false);
        if (!failed.ok) {
          expect(failed.error).toMatchObject({ code: 'ERR_CALLBACK_FAILED', option: 'transfer', requestId: failed.request.id });
          expect(failed.error.message).toContain('"transfer"');
          expect(failed.error.message).toContain(`request ${failed.request.id}`);
          expect((failed.error.cause as Error).message).toBe('no');
        }
        expect(
          outcomes
            .filter((outcome) => outcome.ok)
            .map((outcome) => outcome.ok && outcome.value)
            .sort(),
        ).toEqual([2, 6]);
        expect(pool.stats.pipelines).toEqual([]);
        expect(unhandled).not.toHaveBeenCalled();
      } finally {
        config.onUnhandledError = before;
      }
    },
  );

  test('a transfer function that returns something other than an array yields CallbackError for that request', async () => {
    const pool = tasksPool({ size: 1 });
    const outcomes = await collect(of(1, 2).pipe(poolMap(pool, 'double', { transfer: ((n: number) => (n === 1 ? 'oops' : [])) as never })));
    const first = outcomes.find(({ request }) => request.args[0] === 1);
    expect(first && !first.ok && first.error).toMatchObject({ code: 'ERR_CALLBACK_FAILED', option: 'transfer' });
    expect(first && !first.ok && first.error.message).toMatch(/not an array/);
    expect(outcomes.find(({ request }) => request.args[0] === 2)).toMatchObject({ ok: true, value: 4 });
  });
});

describe('2. a synchronous source is stopped when the output closes', () => {
  test('closed pool, take(3): a source that checks subscriber.closed emits 3 values, as under mergeMap', async () => {
    const pool = await closedPool();
    const { source, emitted } = syncSource(10);
    const outcomes = await collect(source.pipe(poolMap(pool, 'double'), take(3)));
    expect(outcomes).toHaveLength(3);
    expect(emitted()).toBe(3);
  });

  test('a full queue (size 2), take(3): the source stops after the 2 queued and 3 refused', async () => {
    const pool = tasksPool({ size: 1 });
    const { source, emitted } = syncSource(10);
    const outcomes = await collect(source.pipe(poolMap(pool, 'double', { queue: { size: 2 } }), take(3)));
    expect(outcomes.map((outcome) => !outcome.ok && outcome.error.code)).toEqual(['ERR_QUEUE_FULL', 'ERR_QUEUE_FULL', 'ERR_QUEUE_FULL']);
    expect(emitted()).toBe(5);
  });

  test('a signal aborted from inside the source stops it at once, and the stream completes', async () => {
    const pool = tasksPool({ size: 1 });
    const controller = new AbortController();
    let emitted = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 10 && !subscriber.closed; i++) {
        emitted++;
        subscriber.next(i);
        if (i === 3) controller.abort();
      }
      subscriber.complete();
    });
    const outcomes = await collect(source.pipe(poolMap(pool, 'double', { signal: controller.signal })));
    expect(outcomes).toEqual([]);
    expect(emitted).toBe(4);
    expect(pool.stats).toMatchObject({ queued: 0, pipelines: [] });
  });

  test('from(generator) with take(1) on a closed pool pulls one value, not the whole generator', async () => {
    const pool = await closedPool();
    let pulled = 0;
    function* values(): Generator<number> {
      for (let i = 0; i < 100_000; i++) {
        pulled++;
        yield i;
      }
    }
    const outcomes = await collect(from(values()).pipe(poolMap(pool, 'double'), take(1)));
    expect(outcomes).toHaveLength(1);
    expect(pulled).toBe(1);
  });

  test('an endless synchronous source returns once take has what it needs', async () => {
    const pool = await closedPool();
    // Endless but for a safety stop, so that a broken pipeline fails here rather than hanging the suite.
    const { source, emitted } = syncSource(1_000_000);
    await expect(collect(source.pipe(poolMap(pool, 'double'), take(5)))).resolves.toHaveLength(5);
    expect(emitted()).toBe(5);
  });
});

describe('3. a rerun after a crash runs alone on its worker', () => {
  test('tasksPerWorker: 2 on one worker: an innocent sleep beside a request that exits gets its result; only the culprit fails', async () => {
    const pool = faultsPool({ size: 1, tasksPerWorker: 2 });
    await pool.ready;
    const innocent = collect(from([workRequest([300] as [number])]).pipe(poolMap(pool, 'sleep')));
    const culprit = collect(from([workRequest([1] as [number])]).pipe(poolMap(pool, 'exit')));
    const [[slept], [exited]] = await Promise.all([innocent, culprit]);
    expect(slept).toMatchObject({ ok: true, value: 300 });
    expect(!exited.ok && exited.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect(pool.stats).toMatchObject({ completed: 1, failed: 1 });
  });

  test('while other pipelines keep the only worker busy (tasksPerWorker: 2), the rerun waits for it to empty, then runs alone; everything ends', async () => {
    const pool = faultsPool({ size: 1, tasksPerWorker: 2 });
    await pool.ready;
    const busy = collect(from(Array.from({ length: 12 }, () => workRequest([40] as [number]))).pipe(poolMap(pool, 'sleep', { batch: 1 })));
    const crashed = collect(
      from([workRequest([1, 1, 60] as [number, number, number]), workRequest([2, 1, 60] as [number, number, number])]).pipe(
        poolMap(pool, 'exitOn', { batch: 1 }),
      ),
    );
    const [slept, outcomes] = await Promise.all([busy, crashed]);
    expect(slept.map((outcome) => outcome.ok && outcome.value)).toEqual(Array(12).fill(40));
    const byArg = new Map(outcomes.map((outcome) => [outcome.request.args[0], outcome]));
    expect(byArg.get(1)).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_CRASHED' } });
    expect(byArg.get(2)).toMatchObject({ ok: true, value: 2 });
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0, pipelines: [] });
  });

  test("one pipeline timing out on shared workers (tasksPerWorker: 2) never fails another pipeline's requests", async () => {
    const pool = faultsPool({ size: 2, tasksPerWorker: 2 });
    await pool.ready;
    const hanging = collect(from(Array.from({ length: 8 }, () => workRequest([60_000] as [number]))).pipe(poolMap(pool, 'sleep', { timeout: 150 })));
    const others = collect(from(Array.from({ length: 40 }, (_, i) => workRequest([10 + (i % 5) * 10] as [number]))).pipe(poolMap(pool, 'sleep', { batch: 1 })));
    const [timedOut, served] = await Promise.all([hanging, others]);
    for (const outcome of timedOut) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_TASK_TIMEOUT' });
    expect(served.filter((outcome) => !outcome.ok).map((outcome) => !outcome.ok && outcome.error.message)).toEqual([]);
    expect(served).toHaveLength(40);
  }, 60_000);
});

describe('4. a worker error of any shape becomes a WorkerStartError, never a crash of the main process', () => {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  test.each([
    ['a null-prototype object', Object.assign(Object.create(null) as object, { detail: 'no prototype' })],
    [
      'an object whose toString throws',
      {
        toString: () => {
          throw new Error('no text');
        },
      },
    ],
    ['a symbol', Symbol('odd')],
    ['a revoked proxy', revoked.proxy],
  ])('the worker emits %s as its error while starting: the listener does not throw, and ready rejects with WorkerStartError', async (_case, odd) => {
    let worker: NodeJS.EventEmitter | undefined;
    const pool = track(
      createPool<Tasks>(() => {
        const created = new ThreadsWorker('./fixtures/plain-expose.worker.js');
        worker = created as unknown as NodeJS.EventEmitter;
        return created;
      }),
    );
    // Node calls the pool's listener synchronously from emit: a listener that throws would crash the main process.
    expect(worker).toBeDefined();
    expect(() => worker?.emit('error', odd)).not.toThrow();
    const error = await pool.ready.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(WorkerStartError);
    expect(typeof (error as WorkerStartError).message).toBe('string');
  });
});

describe('5. a start error names the worker, never a file of threads.js', () => {
  test('a factory whose new Worker throws (bad execArgv): the error names the factory', async () => {
    const pool = track(createPool<Tasks>(() => new ThreadsWorker('./fixtures/tasks.worker.ts', { execArgv: ['--no-such-flag'] } as never)));
    const error = (await pool.ready.then(
      () => undefined,
      (rejection: unknown) => rejection,
    )) as WorkerStartError;
    expect(error).toBeInstanceOf(WorkerStartError);
    expect(error.file).toBe('(from the worker factory)');
    expect(error.message).not.toMatch(/node_modules/);
  });
});

describe('7. smaller promises', () => {
  test("WorkerCrashedError.worker is the pool's own number for the worker (1, 2, … per pool)", async () => {
    // Another pool first, so a process-wide count would be past this pool's size.
    await tasksPool({ size: 2 }).ready;
    const pool = faultsPool({ size: 1 });
    const [crashed] = await collect(from([workRequest([1] as [number])]).pipe(poolMap(pool, 'exit', { rerunOnCrash: false })));
    expect(!crashed.ok && crashed.error).toMatchObject({ code: 'ERR_WORKER_CRASHED', worker: 1 });
    const [again] = await collect(from([workRequest([1] as [number])]).pipe(poolMap(pool, 'exit', { rerunOnCrash: false })));
    expect(!again.ok && again.error).toMatchObject({ code: 'ERR_WORKER_CRASHED', worker: 2 });
  });

  test('DataCloneError reads as one sentence per point, with no doubled period', async () => {
    const pool = tasksPool({ size: 1 });
    const [outcome] = await collect(from([workRequest([() => 1] as never)]).pipe(poolMap(pool, 'double')));
    expect(!outcome.ok && outcome.error.code).toBe('ERR_DATA_CLONE');
    expect(!outcome.ok && outcome.error.message).not.toContain('..');
  });
});

describe('a source error', () => {
  test.each([
    ['abandon' as const, 'the running request finishes on the same worker first'],
    ['terminate' as const, 'the worker running the request is replaced'],
  ])('is passed on at once; with cancel %p %s', async (cancel, _what) => {
    const pool = faultsPool({ size: 1 });
    await pool.ready;
    const [before] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results()));
    const source = new Subject<ReturnType<typeof workRequest<[number]>>>();
    const failed = collect(source.pipe(poolMap(pool, 'sleep', { cancel }))).catch((error: unknown) => error);
    source.next(workRequest([400] as [number]));
    source.error(new Error('source broke'));
    await expect(failed).resolves.toMatchObject({ message: 'source broke' });
    // The next request runs after the abandoned one on the same thread, or at once on a fresh one.
    const [after] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results()));
    if (cancel === 'abandon') expect(after.value).toBe(before.value);
    else expect(after.value).not.toBe(before.value);
    expect(pool.stats).toMatchObject({ workers: 1, pipelines: [] });
  });
});
