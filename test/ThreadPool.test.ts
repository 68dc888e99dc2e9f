import { NoResultsPending, NoWorkersAvailable, makeRequests, PoolClosedError, QueueFullError, ThreadPool, type WorkRequest } from '../src';
import type { Tasks } from './fixtures/tasks.worker';
import { afterTimersDueWithin, fixture, statsWhere } from './helpers';

const open = new Set<ThreadPool<Tasks>>();
function threadPool(options?: ConstructorParameters<typeof ThreadPool>[1]): ThreadPool<Tasks> {
  const pool = new ThreadPool<Tasks>(fixture('tasks.worker.ts'), options);
  open.add(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all([...open].map((pool) => pool.close()));
  open.clear();
});

/** A deterministic stand-in for Python's `random` in the seed's example. */
function randoms(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe("ThreadPool: the seed's own example, ported", () => {
  test('requests with random sleeps and random exceptions, putRequest in a loop, poll until NoResultsPending, workers added and dismissed mid-run', async () => {
    const random = randoms(42);
    const data = Array.from({ length: 20 }, () => 1 + Math.floor(random() * 10));
    const handed = new Map<number, 'result' | 'exception'>();
    const printResult = (request: WorkRequest<readonly unknown[], number>, result: number): void => {
      expect(handed.has(request.id)).toBe(false);
      handed.set(request.id, 'result');
      expect(result).toBeLessThanOrEqual(5);
    };
    const handleException = (request: WorkRequest<readonly unknown[], number>, error: Error): void => {
      expect(handed.has(request.id)).toBe(false);
      handed.set(request.id, 'exception');
      expect(error).toMatchObject({ code: 'ERR_TASK_FAILED', cause: { message: 'Something extraordinary happened!' } });
    };
    // Python: makeRequests(do_something, data, print_result) — no exc_callback, so errors are printed.
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const args = (d: number): [number, number, number] => [d, 20 + Math.floor(random() * 60), random()];
    const requests = [
      ...makeRequests('doSomething', data.map(args), printResult),
      ...makeRequests('doSomething', data.map(args), printResult, handleException),
    ];
    // resqSize: at most 3 results wait to be polled and no request starts meanwhile, so the run cannot end
    // before the loop has resized the pool, however late its timers fire on a loaded machine.
    const main = threadPool({ numWorkers: 3, resqSize: 3 });
    for (const request of requests) await main.putRequest(request);

    let i = 0;
    const activeWorkers: number[] = [];
    for (;;) {
      try {
        // The seed sleeps between non-blocking polls; a blocking poll waits for the next outcome instead.
        await main.poll({ block: true });
        activeWorkers.push(main.workers);
        if (i === 2) await main.createWorkers(3);
        if (i === 5) await main.dismissWorkers(2);
        i++;
      } catch (error) {
        if (error instanceof NoResultsPending) break;
        throw error;
      }
    }
    if (main.dismissedWorkers) await main.joinAllDismissedWorkers();
    const printedIds = printed.mock.calls.map(([text]) => Number(/request (\d+)/.exec(String(text))?.[1]));
    printed.mockRestore();

    const firstGroup = new Set(requests.slice(0, 20).map(({ id }) => id));
    // Every request was handed over exactly once: to a callback, or (first group, failed) to the default printer.
    expect(handed.size + printedIds.length).toBe(40);
    for (const id of printedIds) {
      expect(firstGroup.has(id)).toBe(true);
      expect(handed.has(id)).toBe(false);
    }
    expect([...handed].filter(([id, kind]) => kind === 'exception' && firstGroup.has(id))).toEqual([]);
    expect(Math.max(...activeWorkers)).toBe(6);
    expect(main.workers).toBe(4);
    expect(main.dismissedWorkers).toBe(0);
  });
});

describe('ThreadPool', () => {
  test('qSize with block: true waits for room; block: false rejects with QueueFullError at once; nothing is queued twice or lost', async () => {
    const main = threadPool({ numWorkers: 1, qSize: 2 });
    const values: number[] = [];
    // 300 ms each: the queue must still be full when the test asks again after an admission (a loaded machine
    // may take tens of ms between two awaits; at 30 ms the running request sometimes ended in between).
    const requests = makeRequests('delayed', [300, 300, 300, 300, 300], (_request, value: string) => values.push(Number(value.split(' ')[1])));
    await main.putRequest(requests[0]); // runs at once (or soon)
    await main.putRequest(requests[1]);
    await main.putRequest(requests[2]);
    await statsWhere(main.pool, (stats) => stats.busy === 1, 'the first request to run');
    // one running, two queued: the queue is full
    await expect(main.putRequest(requests[3], { block: false })).rejects.toBeInstanceOf(QueueFullError);
    const waited = main.putRequest(requests[3]);
    // Admitted only once there is room: when the running request has ended and the next one started.
    let completedAtAdmission = -1;
    void waited.then(() => (completedAtAdmission = main.pool.stats.completed));
    await waited;
    expect(completedAtAdmission).toBeGreaterThanOrEqual(1);
    await expect(main.putRequest(requests[4], { block: true, timeout: 0 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', reason: 'timeout' });
    await main.wait();
    expect(values).toEqual([300, 300, 300, 300]);
    await expect(main.poll()).rejects.toBeInstanceOf(NoResultsPending);
  });

  test('a putRequest that timed out is never queued later', async () => {
    const main = threadPool({ numWorkers: 1, qSize: 1 });
    const calls: number[] = [];
    // a runs 400 ms, so the queue (b) is still full when c's 10 ms are up, even on a loaded machine.
    const [a, b, c] = makeRequests('delayed', [400, 40, 1], (request) => calls.push(request.id));
    await main.putRequest(a);
    await statsWhere(main.pool, (stats) => stats.busy === 1, 'the first request to run');
    await main.putRequest(b);
    await expect(main.putRequest(c, { timeout: 10 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    await main.wait();
    expect(calls).toEqual([a.id, b.id]);
  });

  test('resqSize holds workers back until poll() makes room', async () => {
    const main = threadPool({ numWorkers: 2, resqSize: 1 });
    await main.pool.ready;
    let handed = 0;
    for (const request of makeRequests('double', [1, 2, 3, 4, 5, 6, 7, 8], () => handed++)) await main.putRequest(request);
    // Requests have ended and no worker runs another: the pool has stopped for the results to be polled.
    await statsWhere(main.pool, (stats) => stats.completed >= 1 && stats.busy === 0, 'the workers to hold back');
    // One result waits to be polled; the workers hold theirs back (at most one each), so no more than 3 are done.
    expect(main.pool.stats.completed).toBeLessThanOrEqual(3);
    expect(main.pool.stats.queued).toBeGreaterThanOrEqual(5);
    await main.wait();
    expect(handed).toBe(8);
  });

  test("its requests show in stats.pipelines as the ThreadPool's own pipeline, named ThreadPool", async () => {
    const main = threadPool({ numWorkers: 1, resqSize: 1 });
    await main.pool.ready;
    for (const request of makeRequests('double', [1, 2, 3, 4], () => undefined)) await main.putRequest(request);
    const stats = await statsWhere(main.pool, (now) => now.completed >= 1 && now.busy === 0, 'the worker to hold back');
    expect(stats.pipelines).toEqual([expect.objectContaining({ name: 'ThreadPool', queued: stats.queued })]);
    await main.wait();
  });

  test('poll() rejects with NoResultsPending when nothing is pending, NoWorkersAvailable when requests wait without workers', async () => {
    const main = threadPool({ numWorkers: 1 });
    await expect(main.poll()).rejects.toBeInstanceOf(NoResultsPending);
    await main.pool.ready;
    await main.dismissWorkers(1, { doJoin: true });
    await main.putRequest(makeRequests('double', [1])[0] as WorkRequest<readonly unknown[], never>);
    const noWorkers = await main.poll({ block: true }).catch((error: unknown) => error);
    expect(noWorkers).toBeInstanceOf(NoWorkersAvailable);
    expect(noWorkers).toMatchObject({ code: 'ERR_NO_WORKERS_AVAILABLE', pending: 1 });
    let value: unknown;
    await main.putRequest(makeRequests('double', [21], (_request, result) => (value = result))[0]);
    await main.createWorkers(1);
    await main.wait();
    expect(value).toBe(42);
  });

  test('poll({ block: true }) waits for an outcome; poll() without block returns at once', async () => {
    const main = threadPool({ numWorkers: 1 });
    const got: unknown[] = [];
    await main.putRequest(makeRequests('delayed', [30], (_request, value) => got.push(value))[0]);
    await main.poll();
    expect(got).toEqual([]);
    await main.poll({ block: true });
    expect(got).toEqual(['waited 30']);
  });

  test('dismissWorkers without doJoin keeps them in dismissedWorkers until joinAllDismissedWorkers; with doJoin it waits', async () => {
    const main = threadPool({ numWorkers: 3 });
    await main.pool.ready;
    const busy = makeRequests('spin', [150], () => undefined);
    await main.putRequest(busy[0]);
    await statsWhere(main.pool, (stats) => stats.busy === 1, 'the request to run');
    await main.dismissWorkers(3);
    expect(main.workers).toBe(0);
    expect(main.dismissedWorkers).toBe(3);
    await main.joinAllDismissedWorkers();
    expect(main.dismissedWorkers).toBe(0);
    await main.wait(); // the busy worker finished its request before leaving
    await main.createWorkers(2);
    await main.dismissWorkers(1, { doJoin: true });
    expect(main.workers).toBe(1);
    expect(main.dismissedWorkers).toBe(0);
  });

  test('close(): queued requests end with PoolClosedError at the next poll, and putRequest rejects', async () => {
    const main = threadPool({ numWorkers: 1 });
    const errors: Error[] = [];
    const requests = makeRequests('delayed', [100, 100, 100], undefined, (_request, error) => errors.push(error));
    for (const request of requests) await main.putRequest(request);
    await main.close();
    await main.wait();
    expect(errors).toHaveLength(3);
    for (const error of errors) expect(error).toBeInstanceOf(PoolClosedError);
    await expect(main.putRequest(makeRequests('double', [1])[0] as WorkRequest<readonly unknown[], never>)).rejects.toBeInstanceOf(PoolClosedError);
  });

  test('pollTimeout: an idle worker exits after it and starts again when work comes', async () => {
    const pollTimeout = 500;
    const main = threadPool({ numWorkers: 1, pollTimeout });
    const threads: number[] = [];
    const ask = async (): Promise<void> => {
      await main.putRequest(makeRequests('threadId', [[]], (_request, id: number) => threads.push(id))[0]);
      await main.wait();
    };
    await ask();
    await ask();
    // The worker's idle timer was set when it went idle, before this: it has run by then.
    await afterTimersDueWithin(pollTimeout);
    // It left: no live worker until the next request starts one.
    expect(main.workers).toBe(0);
    await ask();
    expect(threads[0]).toBe(threads[1]);
    expect(threads[2]).not.toBe(threads[0]);
  });

  test('without an excCallback an error is printed with its stack, never swallowed', async () => {
    const main = threadPool({ numWorkers: 1 });
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await main.putRequest(makeRequests('failIfOdd', [3])[0]);
      await main.wait();
      expect(printed).toHaveBeenCalledTimes(1);
      expect(String(printed.mock.calls[0][0])).toMatch(/odd: 3[\s\S]*at /);
    } finally {
      printed.mockRestore();
    }
  });

  test('a callback that throws rejects poll(); the outcomes after it stay for the next poll', async () => {
    const main = threadPool({ numWorkers: 1 });
    await main.pool.ready;
    const seen: number[] = [];
    const requests = makeRequests('double', [1, 2, 3], (_request, value: number) => {
      if (value === 4) throw new Error('callback broke');
      seen.push(value);
    });
    for (const request of requests) await main.putRequest(request);
    await statsWhere(main.pool, (stats) => stats.completed === 3, 'the three requests to end');
    await expect(main.poll()).rejects.toThrow('callback broke');
    await main.wait();
    expect(seen).toEqual([2, 6]);
  });

  test('bad options and bad requests are refused, naming them', async () => {
    expect(() => threadPool({ qSize: -1 })).toThrow('"qSize"');
    expect(() => threadPool({ resqSize: 1.5 })).toThrow('"resqSize"');
    expect(() => threadPool({ numWorkers: 0 })).toThrow('"numWorkers"');
    expect(() => threadPool({ pollTimeout: 0 })).toThrow('"pollTimeout"');
    const main = threadPool({ numWorkers: 1 });
    await expect(main.putRequest(makeRequests([1])[0] as never)).rejects.toThrow('"request"');
  });
});
