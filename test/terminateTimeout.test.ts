// terminateTimeout: a worker whose terminate() never settles does not hold up a timeout, a dismissal or close().
import { from } from 'rxjs';
import { Worker as ThreadsWorker } from 'threads';
import { createPool, type Pool, TaskTimeoutError, workRequest } from '../src';
import { poolMap, results } from '../operators';
import type { FaultTasks } from './fixtures/faults.worker';
import { closePools, collect, track } from './helpers';

afterEach(closePools);

describe('termination that hangs', () => {
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
