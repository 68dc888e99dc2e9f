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
  /** How many times the pool asked a worker to terminate. */
  let terminations = 0;
  beforeEach(() => (terminations = 0));
  function hangingPool(): Pool<FaultTasks> {
    return track(
      createPool<FaultTasks>(
        () => {
          // threads.js resolves a relative path from this file.
          const worker = new ThreadsWorker('./fixtures/faults.worker.ts');
          threads.push(worker);
          worker.terminate = () => {
            terminations++;
            return new Promise<never>(() => undefined);
          };
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
    // Each promise settles although the terminate() it waits on never does (else the test times out here).
    await pool.dismissWorkers(1, { join: true });
    expect(terminations).toBe(1);
    expect(pool.stats.workers).toBe(1);
    await pool.close();
    expect(terminations).toBe(2);
    expect(pool.stats.workers).toBe(0);
  });
});
