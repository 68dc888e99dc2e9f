// What the peers give their users: progress, worker setup and teardown, recycling, fair sharing.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { from, map, range, share } from 'rxjs';
import { createPool, type Pool, type PoolOptions, type PoolStats, WorkerStartError, workRequest } from '../src';
import { errors, poolMap, progress, results } from '../operators';
import { failFile, type FeatureTasks, logFile } from './fixtures/features.worker';
import { closePools, collect, fixture, track } from './helpers';

afterEach(closePools);

function featuresPool(options?: PoolOptions): Pool<FeatureTasks> {
  return track(createPool<FeatureTasks>(fixture('features.worker.ts'), options));
}

describe('progress from inside a task', () => {
  test('a generator task’s yields arrive as { request, progress } before its one outcome, never after it', async () => {
    const pool = featuresPool({ size: 2 });
    const items = await collect(
      from([workRequest([3, 20] as [number, number]), workRequest([2, 30] as [number, number])]).pipe(poolMap(pool, 'hashChunks', { progress: true })),
    );
    for (const request of new Set(items.map((item) => item.request))) {
      const mine = items.filter((item) => item.request === request);
      const chunks = request.args[0];
      expect(mine.map((item) => (item.ok === undefined ? item.progress : 'final'))).toEqual([
        ...Array.from({ length: chunks }, (_, i) => (i + 1) / chunks),
        'final',
      ]);
      const last = mine[mine.length - 1];
      expect(last.ok === true && last.value).toBe(`hashed ${chunks} chunks`);
    }
  });

  test('results() and errors() never take progress for an outcome; progress() selects it', async () => {
    const pool = featuresPool({ size: 1 });
    const items$ = from([workRequest([]), workRequest([])]).pipe(poolMap(pool, 'failHalfway', { progress: true }), share());
    const [failures, values] = await Promise.all([collect(items$.pipe(errors())), collect(items$.pipe(progress()))]);
    expect(failures).toHaveLength(2);
    for (const failure of failures) expect(failure.error).toMatchObject({ code: 'ERR_TASK_FAILED', cause: { name: 'RangeError' } });
    expect(values.map((item) => item.progress)).toEqual(['half', 'half']);
    const counted = await collect(range(0, 5).pipe(poolMap(pool, 'countUp', { progress: true }), results()));
    expect(counted.map(({ value }) => value).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  test('without progress: true, a generator task yields only its outcome', async () => {
    const pool = featuresPool({ size: 1 });
    const items = await collect(from([4]).pipe(poolMap(pool, 'countUp')));
    expect(items).toEqual([expect.objectContaining({ ok: true, value: 4 })]);
  });

  test('under batching, progress arrives while the batch runs, not at its end', async () => {
    // Requests sent before the worker is ready all wait, so they travel in one batch.
    const pool = featuresPool({ size: 1 });
    const started = performance.now();
    const arrivals: { kind: string; at: number }[] = [];
    const requests = [0, 1, 2].map(() => workRequest([2, 100] as [number, number]));
    await new Promise<void>((resolve) =>
      from(requests)
        .pipe(poolMap(pool, 'hashChunks', { progress: true, batch: 3 }))
        .subscribe({
          next: (item) => arrivals.push({ kind: item.ok === undefined ? 'progress' : 'outcome', at: performance.now() - started }),
          complete: resolve,
        }),
    );
    // One batch of three 200 ms requests: all outcomes come at its end.
    const firstOutcome = Math.min(...arrivals.filter(({ kind }) => kind === 'outcome').map(({ at }) => at));
    const firstProgress = Math.min(...arrivals.filter(({ kind }) => kind === 'progress').map(({ at }) => at));
    expect(arrivals.filter(({ kind }) => kind === 'progress')).toHaveLength(6);
    expect(firstOutcome - firstProgress).toBeGreaterThan(250);
  });
});

describe('worker setup and teardown', () => {
  // The worker writes to files named after this process (Jest's process.env does not reach worker threads).
  const clean = (): void => {
    rmSync(logFile(), { force: true });
    rmSync(failFile(), { force: true });
  };
  beforeEach(clean);
  afterEach(clean);
  const lines = (): string[] => {
    try {
      return readFileSync(logFile(), 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  test('setup runs once per worker before its first request, and its state is visible to tasks', async () => {
    const pool = featuresPool({ size: 2 });
    const names = await collect(
      range(0, 20).pipe(
        map(() => workRequest([])),
        poolMap(pool, 'modelName', { batch: 1 }),
        results(),
      ),
    );
    expect(names).toHaveLength(20);
    for (const { value } of names) expect(value).toMatch(/^tiny-model \(loaded by \d+\)$/);
    // Every worker that served a request had run its setup, once.
    const setups = lines()
      .filter((line) => line.startsWith('setup'))
      .map((line) => Number(line.split(' ')[1]));
    expect(new Set(setups).size).toBe(setups.length);
    for (const { value } of names) expect(setups).toContain(Number(/loaded by (\d+)/.exec(value)?.[1]));
  });

  test('teardown runs when a worker is dismissed and when the pool closes', async () => {
    const pool = featuresPool({ size: 2 });
    await pool.ready;
    await pool.dismissWorkers(1, { join: true });
    expect(lines().filter((line) => line.startsWith('teardown'))).toHaveLength(1);
    await pool.close();
    const log = lines();
    expect(log.filter((line) => line.startsWith('teardown'))).toHaveLength(2);
    // Each worker tore down what it set up.
    const threads = (kind: string): string[] =>
      log
        .filter((line) => line.startsWith(kind))
        .map((line) => line.split(' ')[1])
        .sort();
    expect(threads('teardown')).toEqual(threads('setup'));
  });

  test('a setup that throws is a prompt WorkerStartError naming the module and the cause; no retry', async () => {
    writeFileSync(failFile(), '');
    {
      const pool = featuresPool({ size: 2 });
      const outcomes = collect(
        range(0, 3).pipe(
          map(() => workRequest([])),
          poolMap(pool, 'modelName'),
        ),
      );
      const error = await pool.ready.then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(WorkerStartError);
      expect((error as WorkerStartError).message).toContain('features.worker.ts');
      expect((error as WorkerStartError).message).toContain('cannot load the model');
      for (const outcome of await outcomes) expect(outcome.ok === false && outcome.error).toBe(error);
      expect(pool.size).toBe(0);
    }
  });
});

describe('recycling', () => {
  test('maxTasksPerWorker replaces a worker after N requests, between requests; no request fails', async () => {
    const pool = featuresPool({ size: 2, maxTasksPerWorker: 5 });
    const outcomes = await collect(
      range(0, 40).pipe(
        map(() => workRequest([])),
        poolMap(pool, 'threadId', { batch: 1 }),
      ),
    );
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    const perThread = new Map<number, number>();
    for (const outcome of outcomes) if (outcome.ok) perThread.set(outcome.value, (perThread.get(outcome.value) ?? 0) + 1);
    expect(perThread.size).toBe(8);
    for (const count of perThread.values()) expect(count).toBe(5);
    expect(pool.size).toBe(2);
  });

  test('maxHeapPerWorkerMb replaces a worker whose heap has grown past it; no request fails', async () => {
    const pool = featuresPool({ size: 1, maxHeapPerWorkerMb: 64 });
    // Each request leaks 16 MB: a worker passes 64 MB after a few.
    const outcomes = await collect(
      range(0, 12).pipe(
        map(() => 16),
        poolMap(pool, 'leak', { batch: 1 }),
      ),
    );
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    const threads = new Set(outcomes.map((outcome) => outcome.ok && outcome.value));
    expect(threads.size).toBeGreaterThanOrEqual(2);
  });
});

describe('sharing one pool', () => {
  /** Runs a live pipeline (one 20 ms request every 60 ms) next to an optional flood; returns its latencies. */
  async function liveLatencies(pool: Pool<FeatureTasks>, flood: boolean, priority = 0): Promise<{ latencies: number[]; floodLeft: number }> {
    let floodDone = 0;
    const floodTotal = 300;
    const bulk = flood
      ? collect(
          range(0, floodTotal).pipe(
            map(() => 20),
            poolMap(pool, 'spin', { batch: 1 }),
            map(() => floodDone++),
          ),
        )
      : Promise.resolve([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const latencies: number[] = [];
    let floodLeft = floodTotal;
    for (let i = 0; i < 8; i++) {
      const sent = performance.now();
      await collect(from([20]).pipe(poolMap(pool, 'spin', { priority })));
      latencies.push(performance.now() - sent);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    if (flood) floodLeft = floodTotal - floodDone;
    await bulk;
    return { latencies, floodLeft };
  }

  test('a flood from one pipeline does not starve another; priority lets the live one go first', async () => {
    const pool = featuresPool({ size: 2 });
    await pool.ready;
    const alone = await liveLatencies(pool, false);
    const fair = await liveLatencies(pool, true);
    const prioritized = await liveLatencies(pool, true, 1);
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.info(
      `live pipeline latency (ms), median / max: alone ${median(alone.latencies).toFixed(0)} / ${Math.max(...alone.latencies).toFixed(0)}; ` +
        `beside a flood ${median(fair.latencies).toFixed(0)} / ${Math.max(...fair.latencies).toFixed(0)}; ` +
        `with priority 1 ${median(prioritized.latencies).toFixed(0)} / ${Math.max(...prioritized.latencies).toFixed(0)}`,
    );
    // Not starved: every live request finished while most of the flood was still waiting.
    expect(fair.floodLeft).toBeGreaterThan(150);
    expect(prioritized.floodLeft).toBeGreaterThan(150);
  });
});

describe('timing and utilization', () => {
  test('stats$ reports wait and run percentiles that match known task durations, utilization, and each pipeline', async () => {
    const pool = featuresPool({ size: 2 });
    await pool.ready;
    const snapshots: PoolStats[] = [];
    const watching = pool.stats$.subscribe((stats) => snapshots.push(stats));
    // 20 requests of 50 ms on 2 workers: each runs ~50 ms; the k-th waits ~(k div 2) × 50 ms, up to ~450 ms.
    const done = collect(
      range(0, 20).pipe(
        map(() => 50),
        poolMap(pool, 'sleep', { batch: 1, name: 'sleepers' }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const during = pool.stats;
    expect(during.pipelines).toEqual([expect.objectContaining({ name: 'sleepers', priority: 0, running: 2 })]);
    expect(during.utilization).toBeGreaterThan(0.5);
    await done;
    const { wait, run, pipelines } = pool.stats;
    watching.unsubscribe();
    expect(run.count).toBe(20);
    expect(run.p50).toBeGreaterThanOrEqual(49);
    expect(run.p50).toBeLessThan(150);
    expect(run.max).toBeGreaterThanOrEqual(run.p99);
    expect(wait.count).toBe(20);
    expect(wait.max).toBeGreaterThanOrEqual(400);
    expect(wait.p50).toBeGreaterThanOrEqual(180);
    expect(wait.p50).toBeLessThan(wait.max);
    // The pipeline has ended: it is no longer listed.
    expect(pipelines).toEqual([]);
    expect(snapshots.length).toBeGreaterThan(10);
  });

  test('nothing is recorded while nobody watches stats$', async () => {
    const pool = featuresPool({ size: 1 });
    await collect(
      range(0, 5).pipe(
        map(() => 1),
        poolMap(pool, 'sleep'),
      ),
    );
    expect(pool.stats.run.count).toBe(0);
    expect(pool.stats.wait.count).toBe(0);
  });
});

describe('worker choice', () => {
  test('short requests never queue behind a long one while another worker is free', async () => {
    const pool = featuresPool({ size: 2 });
    await pool.ready;
    const order: number[] = [];
    await collect(
      from([800, 10, 10, 10, 10, 10, 10, 10, 10]).pipe(
        poolMap(pool, 'spin', { batch: 1 }),
        map((outcome) => order.push(outcome.ok ? outcome.value : -1)),
      ),
    );
    expect(order[order.length - 1]).toBe(800);
  });

  test('tasksPerWorker runs several async requests in one worker at once, balanced over the least-loaded workers', async () => {
    const pool = featuresPool({ size: 2, tasksPerWorker: 4 });
    await pool.ready;
    // Timings are recorded while stats$ is watched.
    const watching = pool.stats$.subscribe();
    const outcomes = await collect(
      range(0, 8).pipe(
        map(() => 300),
        poolMap(pool, 'sleepOn', { batch: 1 }),
      ),
    );
    watching.unsubscribe();
    const perThread = new Map<number, number>();
    for (const outcome of outcomes) if (outcome.ok) perThread.set(outcome.value, (perThread.get(outcome.value) ?? 0) + 1);
    // Eight requests at once, four in each worker: every request ran beside three others in its worker.
    expect([...perThread.values()]).toEqual([4, 4]);
    expect(pool.stats.run.count).toBe(8);
    expect(pool.stats.wait.max).toBeLessThan(pool.stats.run.p50);
  });

  test('with tasksPerWorker, a timeout ends its own request and reruns the others that shared the worker', async () => {
    const pool = featuresPool({ size: 1, tasksPerWorker: 3 });
    await pool.ready;
    const stuck = collect(from([2000]).pipe(poolMap(pool, 'sleep', { timeout: 150 })));
    const others = collect(from([300, 300]).pipe(poolMap(pool, 'sleep', { batch: 1 })));
    const [timedOut] = await stuck;
    expect(timedOut.ok === false && timedOut.error).toMatchObject({ code: 'ERR_TASK_TIMEOUT' });
    expect((await others).map((outcome) => outcome.ok && outcome.value)).toEqual([300, 300]);
  });
});
