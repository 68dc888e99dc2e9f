// Issue "faults and bad input": one describe per numbered promise, each on real workers.
import { getEventListeners } from 'node:events';
import { from, map, range, Subject, take, takeUntil } from 'rxjs';
import { Worker as ThreadsWorker } from 'threads';
import {
  createPool,
  DataCloneError,
  type Pool,
  type PoolOptions,
  TaskError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerStartError,
  workRequest,
} from '../src';
import { errors, poolMap, results } from '../operators';
import type { FaultTasks } from './fixtures/faults.worker';
import type { OwnHandlerTasks } from './fixtures/own-handler.worker';
import { closePools, collect, fixture, track } from './helpers';

afterEach(closePools);

function faultsPool(options?: PoolOptions): Pool<FaultTasks> {
  return track(createPool<FaultTasks>(fixture('faults.worker.ts'), options));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function threadIdOf(pool: Pool<FaultTasks>): Promise<number> {
  const [outcome] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId')));
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

describe('1. a worker that dies, however it dies', () => {
  test.each([
    ['process.exit(1)', 'exit' as const, [1], /exited with code 1/],
    ['process.exit(0), which Node reports as no error', 'exit' as const, [0], /exited with code 0/],
    ['an uncaught exception from a timer', 'throwInTimer' as const, ['from a timer'], /threw an uncaught error outside its task: Error: from a timer/],
  ])('%s ends the request with WorkerCrashedError; the worker is replaced and the pipeline goes on', async (_case, task, args, reason) => {
    const pool = faultsPool({ size: 2 });
    // Another pipeline runs alongside, before and after the crash.
    const alongside = collect(
      range(0, 30).pipe(
        map((n) => workRequest([n, -1, 20] as [number, number, number])),
        poolMap(pool, 'exitOn', { batch: 1 }),
        results(),
      ),
    );
    const [crashed] = await collect(from([workRequest(args as never)]).pipe(poolMap(pool, task as 'exit')));
    expect(!crashed.ok && crashed.error).toBeInstanceOf(WorkerCrashedError);
    expect(!crashed.ok && crashed.error.message).toMatch(reason);
    expect((await alongside).map(({ value }) => value).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(pool.size).toBe(2);
    const after = await collect(
      range(1, 4).pipe(
        poolMap(pool, 'echo'),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(after.sort()).toEqual([1, 2, 3, 4]);
  });

  test('a worker module whose own uncaughtException handler exits: WorkerCrashedError, and the pool goes on', async () => {
    const pool = track(createPool<OwnHandlerTasks>(fixture('own-handler.worker.ts'), { size: 1 }));
    const [crashed] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'throwInTimer')));
    expect(!crashed.ok && crashed.error).toMatchObject({ code: 'ERR_WORKER_CRASHED', message: expect.stringContaining('exited with code 7') });
    const [echoed] = await collect(from([5]).pipe(poolMap(pool, 'echo'), results()));
    expect(echoed.value).toBe(5);
  });

  test('50 workers crash in one run and every other request still gets its result', async () => {
    const pool = faultsPool({ size: 2 });
    // Every 10th of 500 requests kills its worker: 50 crashes (rerun off, so each crashes once).
    const outcomes = await collect(
      range(0, 500).pipe(
        map((n) => workRequest([n, n % 10 === 0 ? n : -1, 0] as [number, number, number])),
        poolMap(pool, 'exitOn', { rerunOnCrash: false, batch: 1 }),
      ),
    );
    expect(outcomes).toHaveLength(500);
    const crashed = outcomes.filter((outcome) => !outcome.ok);
    expect(crashed.map(({ request }) => request.args[0]).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 10));
    for (const outcome of crashed) expect(!outcome.ok && outcome.error).toBeInstanceOf(WorkerCrashedError);
    const values = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.value] : []));
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, n) => n).filter((n) => n % 10 !== 0));
    expect(pool.stats).toMatchObject({ workers: 2, busy: 0, queued: 0, completed: 450, failed: 50 });
  }, 120_000);
});

describe('2. only the culprit is blamed', () => {
  test('batch-mates of a crashing request are rerun and get their results; the culprit crashes twice and fails once', async () => {
    const pool = faultsPool({ size: 1 });
    const outcomes = await collect(
      range(0, 40).pipe(
        map((n) => workRequest([n, 17, 0] as [number, number, number])),
        poolMap(pool, 'exitOn', { batch: 40 }),
      ),
    );
    expect(outcomes).toHaveLength(40);
    const ids = outcomes.map(({ request }) => request.id);
    expect(new Set(ids).size).toBe(40);
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed.map(({ request }) => request.args[0])).toEqual([17]);
    expect(!failed[0].ok && failed[0].error).toBeInstanceOf(WorkerCrashedError);
  });

  test('an innocent request killed by a leftover timer of an earlier request is rerun and gets its result', async () => {
    const pool = faultsPool({ size: 1 });
    const [earlier] = await collect(from([100]).pipe(poolMap(pool, 'leaveExitingTimer')));
    expect(earlier.ok && earlier.value).toBe('done');
    // This one is running when the timer exits the worker.
    const [innocent] = await collect(from([400]).pipe(poolMap(pool, 'sleep')));
    expect(innocent.ok && innocent.value).toBe(400);
  });

  test('rerunOnCrash: false ends the innocent request with WorkerCrashedError instead of running it twice', async () => {
    const pool = faultsPool({ size: 1 });
    await collect(from([100]).pipe(poolMap(pool, 'leaveExitingTimer')));
    const [innocent] = await collect(from([400]).pipe(poolMap(pool, 'sleep', { rerunOnCrash: false })));
    expect(!innocent.ok && innocent.error).toBeInstanceOf(WorkerCrashedError);
  });
});

describe('3. faults between requests', () => {
  test('a leftover timer that throws gives its finished request no second outcome, costs the next request nothing, and the worker is replaced', async () => {
    const pool = faultsPool({ size: 1 });
    const before = await threadIdOf(pool);
    const seen: unknown[] = [];
    const finished = await collect(from([10]).pipe(poolMap(pool, 'leaveThrowingTimer')));
    // threads.js reports the timer's error about 250 ms after it is thrown, while this request runs.
    const next = await collect(from([600]).pipe(poolMap(pool, 'sleep')));
    seen.push(...finished, ...next);
    expect(seen).toHaveLength(2);
    expect(finished[0].ok && finished[0].value).toBe('done');
    expect(next[0].ok && next[0].value).toBe(600);
    expect(await threadIdOf(pool)).not.toBe(before);
    expect(pool.stats).toMatchObject({ workers: 1, failed: 0 });
  });

  test('an uncaught error reported while the worker is idle retires it; the next request runs on a fresh worker', async () => {
    const pool = faultsPool({ size: 1 });
    const before = await threadIdOf(pool);
    await collect(from([0]).pipe(poolMap(pool, 'leaveThrowingTimer')));
    await sleep(500);
    expect(await threadIdOf(pool)).not.toBe(before);
    expect(pool.stats.failed).toBe(0);
  });
});

describe('4. out of memory', () => {
  test('with resourceLimits, a task that allocates without bound fails alone with a clear error; the process and the pool survive', async () => {
    const pool = faultsPool({ size: 2, resourceLimits: { maxOldGenerationSizeMb: 48 } });
    const outcomes = await collect(from([workRequest([]), workRequest([])]).pipe(poolMap(pool, 'allocate')));
    for (const outcome of outcomes) {
      expect(!outcome.ok && outcome.error).toBeInstanceOf(WorkerCrashedError);
      expect(!outcome.ok && outcome.error.message).toMatch(/ran out of memory \(its resourceLimits\)/);
    }
    const echoed = await collect(range(0, 10).pipe(poolMap(pool, 'echo'), results()));
    expect(echoed).toHaveLength(10);
  });

  test('limits too low for a worker to start are a WorkerStartError, not a respawn loop', async () => {
    let made = 0;
    const pool = track(
      createPool<FaultTasks>(
        () => {
          made++;
          return new ThreadsWorker('./fixtures/faults.worker.ts', { resourceLimits: { maxOldGenerationSizeMb: 1 } } as never);
        },
        { size: 2 },
      ),
    );
    await expect(pool.ready).rejects.toBeInstanceOf(WorkerStartError);
    await expect(pool.ready).rejects.toMatchObject({ message: expect.stringMatching(/memory limit/) });
    await sleep(300);
    expect(made).toBe(2);
  });

  test('resourceLimits with a worker factory is refused: the factory passes its own', () => {
    expect(() => createPool(() => new ThreadsWorker(fixture('faults.worker.ts')), { resourceLimits: { maxOldGenerationSizeMb: 64 } })).toThrow(
      /resourceLimits/,
    );
  });
});

describe('5. timeout', () => {
  test('a request running past its timeout ends with TaskTimeoutError; its worker is replaced, so an endless loop cannot keep it', async () => {
    const pool = faultsPool({ size: 1 });
    const before = await threadIdOf(pool);
    const [stuck] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'loopForever', { timeout: 200 })));
    expect(!stuck.ok && stuck.error).toBeInstanceOf(TaskTimeoutError);
    expect(!stuck.ok && stuck.error).toMatchObject({ code: 'ERR_TASK_TIMEOUT', task: 'loopForever', requestId: stuck.request.id, timeout: 200 });
    expect(await threadIdOf(pool)).not.toBe(before);
    expect(pool.size).toBe(1);
  });

  test('the timeout counts from the start of the run, not the wait in the queue', async () => {
    const pool = faultsPool({ size: 1 });
    await pool.ready;
    // Four 150 ms requests on one worker: the last waits 450 ms, yet none runs past 300 ms.
    const outcomes = await collect(from([150, 150, 150, 150]).pipe(poolMap(pool, 'sleep', { timeout: 300 })));
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true, true]);
  });

  test("the pool's taskTimeout is every pipeline's default; a pipeline's own timeout wins", async () => {
    const pool = faultsPool({ size: 2, taskTimeout: 100 });
    const [defaulted] = await collect(from([400]).pipe(poolMap(pool, 'sleep')));
    expect(!defaulted.ok && defaulted.error).toMatchObject({ code: 'ERR_TASK_TIMEOUT', timeout: 100 });
    const [own] = await collect(from([200]).pipe(poolMap(pool, 'sleep', { timeout: 1000 })));
    expect(own.ok && own.value).toBe(200);
  });

  test('a result that arrives after its request timed out gives no second outcome and no error', async () => {
    const pool = faultsPool({ size: 2 });
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) =>
      from([300, 10])
        .pipe(poolMap(pool, 'sleep', { timeout: 100 }))
        .subscribe({ next: (outcome) => seen.push(outcome), error: reject, complete: resolve }),
    );
    await sleep(400);
    expect(seen).toHaveLength(2);
    expect(pool.stats).toMatchObject({ completed: 1, failed: 1, busy: 0 });
  });
});

describe('6. termination that hangs', () => {
  // A worker whose terminate() never settles; the real thread is ended after the test.
  const threads: ThreadsWorker[] = [];
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((worker) => ThreadsWorker.prototype.terminate.call(worker)));
  });
  function hangingPool(): Pool<FaultTasks> {
    return track(
      createPool<FaultTasks>(
        () => {
          // threads.js resolves a relative path from this file.
          const worker = new ThreadsWorker('./fixtures/faults.worker.ts');
          threads.push(worker);
          worker.terminate = () => new Promise<never>(() => undefined);
          return worker;
        },
        { size: 1, terminateTimeout: 200 },
      ),
    );
  }

  test('a timeout whose terminate() hangs still ends the request, and the replacement serves the next one', async () => {
    const pool = hangingPool();
    const [stuck] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'loopForever', { timeout: 100 })));
    expect(!stuck.ok && stuck.error).toBeInstanceOf(TaskTimeoutError);
    const [next] = await collect(from([7]).pipe(poolMap(pool, 'echo'), results()));
    expect(next.value).toBe(7);
  });

  test('close() and dismissWorkers({ join }) finish when terminate() hangs', async () => {
    const pool = hangingPool();
    await pool.ready;
    await pool.createWorkers(1);
    await pool.dismissWorkers(1, { join: true });
    await pool.close();
    expect(pool.closed).toBe(true);
  });
});

describe('7. cancellation', () => {
  test("cancel: 'terminate' ends running requests' workers at unsubscribe; the next pipeline runs at once on fresh workers", async () => {
    const pool = faultsPool({ size: 2 });
    const before = new Set(
      await collect(
        range(0, 8).pipe(
          map(() => workRequest([])),
          poolMap(pool, 'threadId', { batch: 1 }),
          results(),
          map(({ value }) => value),
        ),
      ),
    );
    const seen: unknown[] = [];
    const subscription = range(0, 10)
      .pipe(
        map(() => workRequest([])),
        poolMap(pool, 'loopForever', { cancel: 'terminate' }),
      )
      .subscribe((outcome) => seen.push(outcome));
    while (pool.stats.busy < 2) await sleep(5);
    subscription.unsubscribe();
    expect(pool.stats.queued).toBe(0);
    const after = await collect(
      range(0, 8).pipe(
        map(() => workRequest([])),
        poolMap(pool, 'threadId', { batch: 1 }),
        results(),
        map(({ value }) => value),
      ),
    );
    for (const id of after) expect(before.has(id)).toBe(false);
    expect(seen).toEqual([]);
    expect(pool.stats).toMatchObject({ workers: 2, busy: 0 });
  });

  test("cancelling one pipeline never kills another pipeline's running request", async () => {
    const pool = faultsPool({ size: 2 });
    await pool.ready;
    const other = collect(from([400]).pipe(poolMap(pool, 'sleep')));
    const cancelled = from([400])
      .pipe(poolMap(pool, 'sleep', { cancel: 'terminate' }))
      .subscribe();
    while (pool.stats.busy < 2) await sleep(5);
    cancelled.unsubscribe();
    const [result] = await other;
    expect(result.ok && result.value).toBe(400);
  });

  test("with the default cancel ('abandon'), no outcome is emitted after unsubscription, and the late result raises nothing", async () => {
    const pool = faultsPool({ size: 1 });
    const seen: unknown[] = [];
    const subscription = from([200, 200])
      .pipe(poolMap(pool, 'sleep'))
      .subscribe((outcome) => seen.push(outcome));
    while (pool.stats.busy < 1) await sleep(5);
    subscription.unsubscribe();
    await sleep(400);
    expect(seen).toEqual([]);
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0, completed: 1 });
  });

  test('an AbortSignal cancels its pipeline: the stream completes, no outcome follows, and its listener is removed', async () => {
    const pool = faultsPool({ size: 1 });
    const controller = new AbortController();
    const seen: unknown[] = [];
    const done = new Promise<void>((resolve) =>
      from([300, 300, 300])
        .pipe(poolMap(pool, 'sleep', { signal: controller.signal }))
        .subscribe({ next: (outcome) => seen.push(outcome), complete: resolve }),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    while (pool.stats.busy < 1) await sleep(5);
    controller.abort();
    await done;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await sleep(400);
    expect(seen).toEqual([]);
    // An already aborted signal completes at once and starts nothing.
    const none = await collect(from([1]).pipe(poolMap(pool, 'echo', { signal: controller.signal })));
    expect(none).toEqual([]);
  });

  test('one AbortSignal shared by a million requests leaves no listener behind, and every timeout timer is cleared', async () => {
    const pool = faultsPool({ size: 2 });
    await pool.ready;
    const { signal } = new AbortController();
    const all = await collect(range(0, 1_000_000).pipe(poolMap(pool, 'echo', { signal }), results(), take(1_000_000)));
    expect(all).toHaveLength(1_000_000);
    // Every timer the requests' timeouts start (5000 ms) must be cleared when the request ends.
    const started = new Set<unknown>();
    const cleared = new Set<unknown>();
    const realSetTimeout = global.setTimeout;
    const realClearTimeout = global.clearTimeout;
    const setSpy = jest.spyOn(global, 'setTimeout').mockImplementation(((callback: () => void, ms?: number, ...rest: unknown[]) => {
      const timer = realSetTimeout(callback, ms, ...rest);
      if (ms === 5000) started.add(timer);
      return timer;
    }) as typeof setTimeout);
    const clearSpy = jest.spyOn(global, 'clearTimeout').mockImplementation(((timer?: Parameters<typeof clearTimeout>[0]) => {
      cleared.add(timer);
      realClearTimeout(timer);
    }) as typeof clearTimeout);
    try {
      const timed = await collect(range(0, 2000).pipe(poolMap(pool, 'echo', { signal, timeout: 5000 }), results()));
      expect(timed).toHaveLength(2000);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    // Requests with a timeout run one per batch: 2000 timers, each cleared.
    expect(started.size).toBe(2000);
    expect([...started].filter((timer) => !cleared.has(timer)).length).toBe(0);
  });

  test('takeUntil stops queued requests from starting and leaves the pool serving the next pipeline at once', async () => {
    const pool = faultsPool({ size: 1 });
    const stop = new Subject<void>();
    const outcomes: unknown[] = [];
    from([5000, 5000, 5000, 5000])
      .pipe(poolMap(pool, 'sleep', { cancel: 'terminate' }), takeUntil(stop))
      .subscribe((outcome) => outcomes.push(outcome));
    while (pool.stats.busy < 1) await sleep(5);
    stop.next();
    expect(pool.stats.queued).toBe(0);
    const [next] = await collect(from([1]).pipe(poolMap(pool, 'echo'), results()));
    expect(next.value).toBe(1);
    expect(outcomes).toEqual([]);
  });
});

describe('8. bad input', () => {
  test.each([
    ['a function', () => 1, 0],
    ['a symbol', Symbol('s'), 0],
    ['an object holding a function', { nested: { fn: () => 1 } }, 0],
  ])('an argument that cannot be cloned (%s) fails that request only, naming its position', async (_case, bad, position) => {
    const pool = faultsPool({ size: 1 });
    const outcomes = await collect(from([workRequest(['fine']), workRequest([bad]), workRequest(['fine too'])]).pipe(poolMap(pool, 'echo')));
    // position: the argument's index in the request's arguments.
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed).toHaveLength(1);
    const error = !failed[0].ok && (failed[0].error as DataCloneError);
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error).toMatchObject({ what: 'arguments', position, requestId: failed[0].request.id });
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(2);
  });

  test('a result that cannot be cloned back fails that request only', async () => {
    const pool = faultsPool({ size: 1 });
    const [bad] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'returnSymbol')));
    expect(!bad.ok && bad.error).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'result' });
  });

  test.each([
    ['string', 'plain string'],
    ['undefined', undefined],
    ['object', { reason: 'an object', n: 3 }],
    ['number', 42],
  ] as const)('a thrown %s arrives as TaskError with the value preserved', async (kind, value) => {
    const pool = faultsPool({ size: 1 });
    const [outcome] = await collect(from([kind]).pipe(poolMap(pool, 'throwValue')));
    const error = !outcome.ok && (outcome.error as TaskError);
    expect(error).toBeInstanceOf(TaskError);
    expect(error && error.thrown).toEqual({ value });
  });

  test('an Error with an empty message arrives as TaskError keeping its class name', async () => {
    const pool = faultsPool({ size: 1 });
    const [outcome] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'throwEmptyMessage')));
    const error = !outcome.ok && (outcome.error as TaskError);
    expect(error).toBeInstanceOf(TaskError);
    expect(error && error.cause).toMatchObject({ name: 'TypeError', message: '' });
    expect(error && error.message).toContain('TypeError');
  });

  test("a task's own error class name, message, stack and extra fields survive; a crash is told apart by class and code", async () => {
    const pool = faultsPool({ size: 1 });
    const [own] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'throwDetailed')));
    const error = !own.ok && (own.error as TaskError);
    expect(error).toBeInstanceOf(TaskError);
    expect(error && error.code).toBe('ERR_TASK_FAILED');
    expect(error && error.cause).toMatchObject({
      name: 'DetailedError',
      message: 'config not found',
      code: 'E_CONFIG',
      details: { path: '/etc/app.json', attempts: 3 },
    });
    expect(error && error.cause.stack).toMatch(/throwDetailed/);
    const [crash] = await collect(from([1]).pipe(poolMap(pool, 'exit'), errors()));
    expect(crash.error).not.toBeInstanceOf(TaskError);
    expect(crash.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
  });

  test('an unknown task name at run time lists the tasks the worker has', async () => {
    const pool = faultsPool({ size: 1 });
    const [outcome] = await collect(from([1]).pipe(poolMap(pool as unknown as Pool<{ nope(n: number): number }>, 'nope')));
    expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_UNKNOWN_TASK', message: expect.stringContaining('throwDetailed') });
  });
});

describe('9. startup', () => {
  test('repeated start failures do not loop: no retry, pool creation fails once with WorkerStartError', async () => {
    let made = 0;
    const pool = track(
      createPool<FaultTasks>(
        () => {
          made++;
          return new ThreadsWorker('./fixtures/throws-at-load.worker.js');
        },
        { size: 2 },
      ),
    );
    const outcomes = collect(range(0, 5).pipe(poolMap(pool, 'echo')));
    await expect(pool.ready).rejects.toMatchObject({ code: 'ERR_WORKER_START', message: expect.stringContaining('boom while loading') });
    for (const outcome of await outcomes) expect(!outcome.ok && outcome.error).toBeInstanceOf(WorkerStartError);
    await sleep(300);
    expect(made).toBe(2);
  });
});

describe('10. close', () => {
  test('close racing a replacement worker that is still starting ends everything and leaves no worker', async () => {
    const pool = faultsPool({ size: 1 });
    const outcomes = collect(from([workRequest([1]), workRequest([2])]).pipe(poolMap(pool, 'exit', { rerunOnCrash: false })));
    while (pool.stats.failed < 1) await sleep(1);
    // The replacement is starting now.
    await pool.close();
    const all = await outcomes;
    expect(all).toHaveLength(2);
    expect(all.every((outcome) => !outcome.ok)).toBe(true);
    expect(pool.stats).toMatchObject({ workers: 0, busy: 0, queued: 0 });
  });

  test('close with no workers and requests queued ends them with PoolClosedError', async () => {
    const pool = faultsPool({ size: 1 });
    await pool.dismissWorkers(1, { join: true });
    const outcomes = collect(from([1, 2, 3]).pipe(poolMap(pool, 'echo')));
    await sleep(20);
    expect(pool.stats.queued).toBe(3);
    await pool.close();
    for (const outcome of await outcomes) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });
});

describe('11. shrink to zero and back', () => {
  test('requests queued while no worker is live stay queued and are served by createWorkers', async () => {
    const pool = faultsPool({ size: 2 });
    await pool.dismissWorkers(2, { join: true });
    const outcomes = collect(range(0, 20).pipe(poolMap(pool, 'echo')));
    await sleep(50);
    expect(pool.stats).toMatchObject({ workers: 0, queued: 20 });
    await pool.createWorkers(1);
    const all = await outcomes;
    expect(all.filter((outcome) => outcome.ok)).toHaveLength(20);
  });
});
