// Recycling: maxTasksPerWorker and maxHeapPerWorkerMb replace a worker with a fresh one between batches; no request notices.
import { rmSync, writeFileSync } from 'node:fs';
import { map, of, range } from 'rxjs';
import { workRequest } from '../src';
import { poolMap, results } from '../operators';
import { logFile, slowTeardownFile } from './fixtures/features.worker';
import { closePools, collect, featuresPool, logLines, runtimes } from './helpers';

afterEach(closePools);

describe.each(runtimes)('recycling (%s workers)', (runtime) => {
  test('maxTasksPerWorker replaces a worker after N requests, between requests; no request fails', async () => {
    const pool = featuresPool({ runtime, size: 2, maxTasksPerWorker: 5 });
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
    const pool = featuresPool({ runtime, size: 1, maxHeapPerWorkerMb: 64 });
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

  test('close() waits for a worker being recycled to finish its teardown and exit', async () => {
    const clean = (): void => {
      rmSync(logFile(), { force: true });
      rmSync(slowTeardownFile(), { force: true });
    };
    clean();
    writeFileSync(slowTeardownFile(), '');
    try {
      const pool = featuresPool({ runtime, size: 1, maxTasksPerWorker: 1 });
      const [{ value: recycled }] = await collect(of(workRequest([])).pipe(poolMap(pool, 'threadId'), results()));
      // Its one request answered, the worker is leaving (its teardown runs) and a fresh one is starting: close now.
      await pool.close();
      expect(logLines(logFile())).toContain(`teardown ${recycled}`);
    } finally {
      clean();
    }
  });
});
