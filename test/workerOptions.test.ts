// Worker options on createPool (a path worker): env, argv, execArgv, workerData, name reach each worker thread;
// stdout and stderr are inherited, or captured line by line into events$; each is checked at the door.
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { Worker } from 'node:worker_threads';
import { createPool, type PoolEvent } from '../src';
import type { FeatureTasks } from './fixtures/features.worker';
import { closePools, featuresPool, fixture, track } from './helpers';

afterEach(closePools);

describe('worker options', () => {
  test('env, argv, execArgv and workerData reach every worker, the replacements too; the main thread keeps its own', async () => {
    const pool = featuresPool({
      size: 2,
      env: { POOL_TEST_VARIABLE: 'from the pool' },
      argv: ['--mode', 'test'],
      execArgv: ['--no-warnings'],
      workerData: { model: 'tiny', weights: new Float64Array([1, 2]) },
      name: 'feature-worker',
      maxTasksPerWorker: 1,
    });
    const seen = [await pool.run('startedWith', 'POOL_TEST_VARIABLE'), await pool.run('startedWith', 'POOL_TEST_VARIABLE')];
    for (const started of seen) {
      expect(started.value).toBe('from the pool');
      expect(started.argv.slice(-2)).toEqual(['--mode', 'test']);
      expect(started.execArgv).toEqual([...process.execArgv, '--no-warnings']);
      const data = started.workerData as { model: string; weights: Float64Array };
      expect(data.model).toBe('tiny');
      expect(Array.from(data.weights)).toEqual([1, 2]);
    }
    expect(process.env.POOL_TEST_VARIABLE).toBeUndefined();
  });

  test("stdout and stderr: 'events' turns each line into a workerOutput event with the worker's number", async () => {
    const pool = featuresPool({ size: 1, stdout: 'events', stderr: 'events' });
    await pool.ready;
    const lines = firstValueFrom(
      pool.events$.pipe(
        filter((event): event is Extract<PoolEvent, { type: 'workerOutput' }> => event.type === 'workerOutput'),
        take(3),
        toArray(),
      ),
    );
    expect(await pool.run('say', 'hello')).toBe('hello');
    const captured = await lines;
    expect(captured.filter((line) => line.stream === 'stdout').map((line) => line.text)).toEqual(['hello', 'second line of hello']);
    expect(captured.filter((line) => line.stream === 'stderr')).toEqual([{ type: 'workerOutput', worker: 1, stream: 'stderr', text: 'to stderr: hello' }]);
  });

  test.each([
    ['env', { env: { A: 1 } }, 'env.A'],
    ['env', { env: 'A=1' }, 'env'],
    ['argv', { argv: '--mode' }, 'argv'],
    ['execArgv', { execArgv: [1] }, 'execArgv'],
    ['workerData', { workerData: { fn: () => 1 } }, 'workerData'],
    ['name', { name: 7 }, 'name'],
    ['stdout', { stdout: 'pipe' }, 'stdout'],
    ['stderr', { stderr: true }, 'stderr'],
  ])('a bad %s is refused with InvalidOptionError naming it', (_name, options, option) => {
    expect(() => createPool<FeatureTasks>(fixture('features.worker.ts'), options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', option }),
    );
  });

  test('a factory sets its own worker options: giving them to the pool is refused, naming the option', () => {
    expect(() => track(createPool<FeatureTasks>(() => new Worker(''), { env: { A: '1' } }))).toThrow(expect.objectContaining({ option: 'env' }));
  });

  test('a flag Node refuses for workers fails the pool with WorkerStartError', async () => {
    const pool = featuresPool({ size: 1, execArgv: ['--no-such-flag-here'] });
    await expect(pool.ready).rejects.toMatchObject({ code: 'ERR_WORKER_START' });
  });
});
