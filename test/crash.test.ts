import { from, map, range } from 'rxjs';
import { type DataCloneError, type WorkerCrashedError, workRequest } from '../src';
import { poolMap, results } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

describe('a worker that dies', () => {
  test('exiting mid-request ends that request with WorkerCrashedError; the pool replaces the worker and goes on', async () => {
    const pool = tasksPool({ size: 2 });
    await pool.ready;
    const [crashed] = await collect(from([3]).pipe(poolMap(pool, 'exit')));
    expect(crashed.ok).toBe(false);
    const error = !crashed.ok && (crashed.error as WorkerCrashedError);
    expect(error).toMatchObject({ code: 'ERR_WORKER_CRASHED', requestId: crashed.request.id });
    expect((error as WorkerCrashedError).message).toContain('exited with code 3');
    expect(pool.size).toBe(2);
    const after = await collect(
      range(1, 10).pipe(
        poolMap(pool, 'double'),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(after.sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  });

  test('crashes in the middle of a stream lose no other request', async () => {
    const pool = tasksPool({ size: 2 });
    const requests = Array.from({ length: 60 }, (_, i) => i);
    const outcomes = await collect(
      from(requests).pipe(
        // every 15th request kills its worker
        poolMap(pool, 'exitIfMultipleOf15'),
      ),
    );
    expect(outcomes).toHaveLength(60);
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed.map(({ request }) => request.args[0]).sort((a, b) => a - b)).toEqual([0, 15, 30, 45]);
    for (const outcome of failed) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect(pool.stats).toMatchObject({ workers: 2, completed: 56, failed: 4 });
  });

  test("an error thrown outside any task (threads.js's uncaughtError) retires the worker; the pool replaces it", async () => {
    const pool = tasksPool({ size: 1 });
    const threadOf = async (): Promise<number> => {
      const [outcome] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId')));
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
    const before = await threadOf();
    const [scheduled] = await collect(from(['late boom']).pipe(poolMap(pool, 'throwLater')));
    expect(scheduled.ok && scheduled.value).toBe('scheduled');
    // threads.js reports the uncaught error 250 ms later; the pool then swaps the worker.
    let after = before;
    while (after === before) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await threadOf();
    }
    expect(pool.size).toBe(1);
    expect(pool.stats.failed).toBe(0);
  });

  test('arguments that cannot be cloned end that request with DataCloneError and spare the worker', async () => {
    const pool = tasksPool({ size: 1 });
    const [threadBefore] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results()));
    const [bad] = await collect(from([(() => 1) as unknown as number]).pipe(poolMap(pool, 'double')));
    expect(!bad.ok && bad.error).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'arguments', requestId: bad.request.id });
    const [threadAfter] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results()));
    expect(threadAfter.value).toBe(threadBefore.value);
  });

  test('a result that cannot be cloned ends that request with DataCloneError', async () => {
    const pool = tasksPool({ size: 1 });
    const [bad] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'unclonable')));
    expect(!bad.ok && (bad.error as DataCloneError)).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'result' });
    const [good] = await collect(from([21]).pipe(poolMap(pool, 'double'), results()));
    expect(good.value).toBe(42);
  });
});
