// Timeouts: poolMap's timeout and the pool's taskTimeout end a request that runs too long, and replace its worker.
import { from } from 'rxjs';
import { Worker as ThreadsWorker } from 'threads';
import { createPool, TaskTimeoutError, workRequest } from '../src';
import { poolMap } from '../operators';
import type { FaultTasks } from './fixtures/faults.worker';
import { closePools, collect, faultsPool, featuresPool, runtimes, statsWhere, track } from './helpers';

afterEach(closePools);

async function threadIdOf(pool: ReturnType<typeof faultsPool>): Promise<number> {
  const [outcome] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId')));
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

describe.each(runtimes)('timeout (%s workers)', (runtime) => {
  test('a request running past its timeout ends with TaskTimeoutError; its worker is replaced, so an endless loop cannot keep it', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    const before = await threadIdOf(pool);
    const [stuck] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'loopForever', { timeout: 200 })));
    expect(!stuck.ok && stuck.error).toBeInstanceOf(TaskTimeoutError);
    expect(!stuck.ok && stuck.error).toMatchObject({ code: 'ERR_TASK_TIMEOUT', task: 'loopForever', requestId: stuck.request.id, timeout: 200 });
    expect(await threadIdOf(pool)).not.toBe(before);
    expect(pool.size).toBe(1);
  });

  test('the timeout counts from the start of the run, not the wait in the queue', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    await pool.ready;
    // Four 150 ms requests on one worker: the last waits 450 ms, yet none runs past 300 ms.
    const outcomes = await collect(from([150, 150, 150, 150]).pipe(poolMap(pool, 'sleep', { timeout: 300 })));
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true, true]);
  });

  test("the pool's taskTimeout is every pipeline's default; a pipeline's own timeout wins", async () => {
    const pool = faultsPool({ runtime, size: 2, taskTimeout: 100 });
    const [defaulted] = await collect(from([400]).pipe(poolMap(pool, 'sleep')));
    expect(!defaulted.ok && defaulted.error).toMatchObject({ code: 'ERR_TASK_TIMEOUT', timeout: 100 });
    const [own] = await collect(from([200]).pipe(poolMap(pool, 'sleep', { timeout: 1000 })));
    expect(own.ok && own.value).toBe(200);
  });

  test('with tasksPerWorker, a timeout ends its own request and reruns the others that shared the worker', async () => {
    const pool = featuresPool({ runtime, size: 1, tasksPerWorker: 3 });
    await pool.ready;
    const stuck = collect(from([2000]).pipe(poolMap(pool, 'sleep', { timeout: 150 })));
    const others = collect(from([300, 300]).pipe(poolMap(pool, 'sleep', { batch: 1 })));
    const [timedOut] = await stuck;
    expect(timedOut.ok === false && timedOut.error).toMatchObject({ code: 'ERR_TASK_TIMEOUT' });
    expect((await others).map((outcome) => outcome.ok && outcome.value)).toEqual([300, 300]);
  });

  test("one pipeline timing out on shared workers (tasksPerWorker: 2) never fails another pipeline's requests", async () => {
    const pool = faultsPool({ runtime, size: 2, tasksPerWorker: 2 });
    await pool.ready;
    const hanging = collect(from(Array.from({ length: 8 }, () => workRequest([60_000] as [number]))).pipe(poolMap(pool, 'sleep', { timeout: 150 })));
    const others = collect(from(Array.from({ length: 40 }, (_, i) => workRequest([10 + (i % 5) * 10] as [number]))).pipe(poolMap(pool, 'sleep', { batch: 1 })));
    const [timedOut, served] = await Promise.all([hanging, others]);
    for (const outcome of timedOut) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_TASK_TIMEOUT' });
    expect(served.filter((outcome) => !outcome.ok).map((outcome) => !outcome.ok && outcome.error.message)).toEqual([]);
    expect(served).toHaveLength(40);
  }, 60_000);
});

describe('timeout, on workers of a factory', () => {
  test('a result that arrives after its request timed out gives no second outcome and no error', async () => {
    // Workers made here, so that the test can wait for the one the timeout ends to exit.
    const exits: Promise<unknown>[] = [];
    const pool = track(
      createPool<FaultTasks>(
        () => {
          // threads.js resolves a relative path from this file.
          const worker = new ThreadsWorker('./fixtures/faults.worker.ts');
          exits.push(new Promise((resolve) => (worker as unknown as NodeJS.EventEmitter).once('exit', resolve)));
          return worker;
        },
        { size: 2 },
      ),
    );
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) =>
      from([300, 10])
        .pipe(poolMap(pool, 'sleep', { timeout: 100 }))
        .subscribe({ next: (outcome) => seen.push(outcome), error: reject, complete: resolve }),
    );
    // The worker that ran the 300 ms request has exited: nothing more can come from it.
    await Promise.race(exits);
    await statsWhere(pool, (stats) => stats.busy === 0 && stats.completed + stats.failed === 2, 'both requests to be accounted for');
    expect(seen).toHaveLength(2);
    expect(pool.stats).toMatchObject({ completed: 1, failed: 1, busy: 0 });
  });
});
