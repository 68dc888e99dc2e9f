import { map } from 'rxjs';
import { TaskError } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = {
  double: (x: number): number => x * 2,
  failIfOdd(x: number): number {
    if (x % 2 === 1) throw new RangeError(`odd ${x}`);
    return x;
  },
};

const value = map((outcome: { ok: boolean; value?: unknown }) => outcome.value);

describe('pool.run on a virtual pool', () => {
  test('its request takes a turn on the workers like a pipeline request: the pipeline behind it waits', async () => {
    const scheduler = newTestScheduler();
    let result: Promise<number> | undefined;
    scheduler.run(({ cold, expectObservable }) => {
      // One worker, 2 frames a request: run's request (submitted first) holds it for frames 0-2.
      const pool = createVirtualPool(tasks, { scheduler, size: 1, duration: 2 });
      result = pool.run('double', 21);
      const doubled = cold('(abc|)', { a: 1, b: 2, c: 3 }).pipe(poolMap(pool, 'double'), value);
      expectObservable(doubled).toBe('----x-y-(z|)', { x: 2, y: 4, z: 6 });
    });
    await expect(result).resolves.toBe(42);
  });

  test('alone, it resolves with the task result after its duration; a throwing task rejects with TaskError', async () => {
    const scheduler = newTestScheduler();
    const settled: string[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler, size: 2, duration: 3 });
      void pool.run('failIfOdd', 4).then((n) => settled.push(`ok ${n}`));
      void pool
        .run('failIfOdd', 5)
        .catch((error: unknown) => settled.push(error instanceof TaskError ? `${error.code} ${error.cause.message}` : String(error)));
      // Both workers are busy for frames 0-3: a pipeline request waits for one.
      expectObservable(cold('a|', { a: 8 }).pipe(poolMap(pool, 'double'), value)).toBe('------(x|)', { x: 16 });
    });
    await Promise.resolve();
    expect(settled.sort()).toEqual(['ERR_TASK_FAILED odd 5', 'ok 4']);
  });
});
