// Concurrency: a pool runs requests on all its workers at once, picks a free worker for each, and with
// tasksPerWorker runs several async requests in one worker.
import { from, map, range } from 'rxjs';
import { workRequest } from '../src';
import { poolMap, results } from '../operators';
import { closePools, collect, featuresPool, gatePool, newGate, tasksPool } from './helpers';

afterEach(closePools);

describe('concurrency', () => {
  test('runs requests on every worker at once', async () => {
    const pool = gatePool({ size: 3 });
    await pool.ready;
    // Each request waits (up to 20 s) until all three have started: they meet only if the three workers run them at the same time.
    const parties = newGate();
    const met = await collect(
      range(0, 3).pipe(
        map(() => workRequest([parties, 3, 20_000] as [Int32Array, number, number])),
        poolMap(pool, 'meet', { batch: 1 }),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(met).toEqual(['met', 'met', 'met']);
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
    // None waited for another to end: the longest wait is shorter than a run (a proportion, not a bound in ms).
    expect(pool.stats.wait.max).toBeLessThan(pool.stats.run.p50);
  });
});
