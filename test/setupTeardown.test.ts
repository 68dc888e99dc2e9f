// A worker module's setup and teardown (exposeTasks' second argument): once per worker, before its first request and when it leaves.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { map, range } from 'rxjs';
import { WorkerStartError, workRequest } from '../src';
import { poolMap, results } from '../operators';
import { failFile, logFile } from './fixtures/features.worker';
import { closePools, collect, featuresPool, logLines } from './helpers';

afterEach(closePools);

describe('worker setup and teardown', () => {
  // The worker writes to files named after this process (Jest's process.env does not reach worker threads).
  const clean = (): void => {
    rmSync(logFile(), { force: true });
    rmSync(failFile(), { force: true });
  };
  beforeEach(clean);
  afterEach(clean);
  const lines = (): string[] => logLines(logFile());

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
