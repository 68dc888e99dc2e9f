/**
 * `pool.run(task, ...args)` on real workers: one request through the pool's
 * scheduler, as a promise of its result.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { poolMap } from '../operators';
import { InvalidOptionError, PoolClosedError, TaskError, UnknownTaskError, WorkerCrashedError } from '../src';
import { closePools, tasksPool } from './helpers';

afterEach(closePools);

describe('pool.run', () => {
  test('resolves with the task result, typed from the worker module', async () => {
    const pool = tasksPool({ size: 1 });
    const sum: number = await pool.run('add', 2, 3);
    const waited: string = await pool.run('delayed', 1);
    expect({ sum, waited }).toEqual({ sum: 5, waited: 'waited 1' });
    // Type errors only, never run.
    void (() => {
      // @ts-expect-error: add takes two numbers
      void pool.run('add', 'x', 1);
      // @ts-expect-error: the worker module has no task of that name
      void pool.run('cube', 2);
    });
  });

  test("rejects with the request's own error: a TaskError carrying the worker's code", async () => {
    const pool = tasksPool({ size: 1 });
    const error = await pool.run('failIfOdd', 3).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({ code: 'ERR_TASK_FAILED', cause: { name: 'CodedError', code: 'E_ODD', message: 'odd: 3' } });
  });

  test('runs on the same workers and queue as poolMap pipelines, and leaves no pipeline open', async () => {
    const pool = tasksPool({ size: 2 });
    const stream = lastValueFrom(from([1, 2, 3, 4]).pipe(poolMap(pool, 'double'), toArray()));
    const single = pool.run('double', 21);
    expect(pool.stats.pipelines.map(({ name }) => name)).toEqual(['double', 'double']);
    expect(await single).toBe(42);
    expect((await stream).map((outcome) => outcome.ok && outcome.value).sort()).toEqual([2, 4, 6, 8]);
    expect(pool.stats).toMatchObject({ completed: 5, failed: 0, pipelines: [] });
  });

  test('a request whose worker dies is rerun once, then rejects with WorkerCrashedError', async () => {
    const pool = tasksPool({ size: 1 });
    await expect(pool.run('exit', 3)).rejects.toBeInstanceOf(WorkerCrashedError);
    // The pool replaced the worker and carries on.
    await expect(pool.run('double', 2)).resolves.toBe(4);
  });

  test('bad task names reject with typed errors', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    await expect(pool.run('nope' as 'double', 1)).rejects.toBeInstanceOf(UnknownTaskError);
    await expect(pool.run('' as 'double', 1)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  test('rejects with PoolClosedError once the pool is closed, and for a call still running when it closes', async () => {
    const pool = tasksPool({ size: 1 });
    const running = expect(pool.run('delayed', 5000)).rejects.toBeInstanceOf(PoolClosedError);
    await pool.close();
    await running;
    await expect(pool.run('double', 1)).rejects.toBeInstanceOf(PoolClosedError);
  });
});
