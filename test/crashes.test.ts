// A worker that dies, however it dies, or that throws outside any task: the request it ran ends with
// WorkerCrashedError, the worker is replaced, and the pool goes on.
import { from, map, range } from 'rxjs';
import { createPool, WorkerCrashedError, workRequest } from '../src';
import { poolMap, results } from '../operators';
import type { OwnHandlerTasks } from './fixtures/own-handler.worker';
import { closePools, collect, faultsPool, fixture, nextStats, runtimes, tasksPool, track, waitFor } from './helpers';

afterEach(closePools);

/** The worker a request runs on: its thread id, or in a child process its pid. */
async function threadIdOf(pool: ReturnType<typeof faultsPool>): Promise<number> {
  const [outcome] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId')));
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

describe.each(runtimes)('a worker that dies (%s workers)', (runtime) => {
  test('exiting mid-request ends that request with WorkerCrashedError; the pool replaces the worker and goes on', async () => {
    const pool = tasksPool({ runtime, size: 2 });
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
    const pool = tasksPool({ runtime, size: 2 });
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

  test.each([
    ['process.exit(1)', 'exit' as const, [1], /exited with code 1/],
    ['process.exit(0), which Node reports as no error', 'exit' as const, [0], /exited with code 0/],
    ['an uncaught exception from a timer', 'throwInTimer' as const, ['from a timer'], /threw an uncaught error outside its task: Error: from a timer/],
  ])('%s ends the request with WorkerCrashedError; the worker is replaced and the pipeline goes on', async (_case, task, args, reason) => {
    const pool = faultsPool({ runtime, size: 2 });
    // Another pipeline runs alongside, before and after the crash.
    const alongside = collect(
      range(0, 30).pipe(
        map((n) => workRequest([n, -1, 20] as [number, number, number])),
        poolMap(pool, 'exitOn', { batch: 1 }),
        results(),
      ),
    );
    const [crashed] = await collect(from([workRequest(args as never)]).pipe(poolMap(pool, task as 'exit')));
    expect(!crashed.ok && crashed.error).toBeInstanceOf(WorkerCrashedError);
    expect(!crashed.ok && crashed.error.message).toMatch(reason);
    expect((await alongside).map(({ value }) => value).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(pool.size).toBe(2);
    const after = await collect(
      range(1, 4).pipe(
        poolMap(pool, 'echo'),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(after.sort()).toEqual([1, 2, 3, 4]);
  });

  test('a worker module whose own uncaughtException handler exits: WorkerCrashedError, and the pool goes on', async () => {
    const pool = track(createPool<OwnHandlerTasks>(fixture('own-handler.worker.ts'), { runtime, size: 1 }));
    const [crashed] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'throwInTimer')));
    expect(!crashed.ok && crashed.error).toMatchObject({ code: 'ERR_WORKER_CRASHED', message: expect.stringContaining('exited with code 7') });
    const [echoed] = await collect(from([5]).pipe(poolMap(pool, 'echo'), results()));
    expect(echoed.value).toBe(5);
  });

  test("WorkerCrashedError.worker is the pool's own number for the worker (1, 2, … per pool)", async () => {
    // Another pool first, so a process-wide count would be past this pool's size.
    await tasksPool({ runtime, size: 2 }).ready;
    const pool = faultsPool({ runtime, size: 1 });
    const [crashed] = await collect(from([workRequest([1] as [number])]).pipe(poolMap(pool, 'exit', { rerunOnCrash: false })));
    expect(!crashed.ok && crashed.error).toMatchObject({ code: 'ERR_WORKER_CRASHED', worker: 1 });
    const [again] = await collect(from([workRequest([1] as [number])]).pipe(poolMap(pool, 'exit', { rerunOnCrash: false })));
    expect(!again.ok && again.error).toMatchObject({ code: 'ERR_WORKER_CRASHED', worker: 2 });
  });
});

describe('many crashes', () => {
  test('50 workers crash in one run and every other request still gets its result', async () => {
    const pool = faultsPool({ size: 2 });
    // Every 10th of 500 requests kills its worker: 50 crashes (rerun off, so each crashes once).
    const outcomes = await collect(
      range(0, 500).pipe(
        map((n) => workRequest([n, n % 10 === 0 ? n : -1, 0] as [number, number, number])),
        poolMap(pool, 'exitOn', { rerunOnCrash: false, batch: 1 }),
      ),
    );
    expect(outcomes).toHaveLength(500);
    const crashed = outcomes.filter((outcome) => !outcome.ok);
    expect(crashed.map(({ request }) => request.args[0]).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 10));
    for (const outcome of crashed) expect(!outcome.ok && outcome.error).toBeInstanceOf(WorkerCrashedError);
    const values = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.value] : []));
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, n) => n).filter((n) => n % 10 !== 0));
    expect(pool.stats).toMatchObject({ workers: 2, busy: 0, queued: 0, completed: 450, failed: 50 });
  }, 120_000);
});

describe.each(runtimes)('errors outside any task (%s workers)', (runtime) => {
  test('an error thrown outside any task retires the worker; the pool replaces it', async () => {
    const pool = tasksPool({ runtime, size: 1 });
    const threadOf = async (): Promise<number> => {
      const [outcome] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId')));
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
    const before = await threadOf();
    const [scheduled] = await collect(from(['late boom']).pipe(poolMap(pool, 'throwLater')));
    expect(scheduled.ok && scheduled.value).toBe('scheduled');
    // The worker reports the uncaught error when its timer throws; the pool then swaps the worker.
    await waitFor(async () => (await threadOf()) !== before, 'a request to run on the replacement worker', { every: 50 });
    expect(pool.size).toBe(1);
    expect(pool.stats.failed).toBe(0);
  });

  test('a leftover timer that throws gives its finished request no second outcome, costs the next request nothing, and the worker is replaced', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    const before = await threadIdOf(pool);
    const seen: unknown[] = [];
    const finished = await collect(from([10]).pipe(poolMap(pool, 'leaveThrowingTimer')));
    // The timer throws while the next request runs; the worker is replaced once that request is answered.
    const next = await collect(from([600]).pipe(poolMap(pool, 'sleep')));
    seen.push(...finished, ...next);
    expect(seen).toHaveLength(2);
    expect(finished[0].ok && finished[0].value).toBe('done');
    expect(next[0].ok && next[0].value).toBe(600);
    expect(await threadIdOf(pool)).not.toBe(before);
    expect(pool.stats).toMatchObject({ workers: 1, failed: 0 });
  });

  test('an uncaught error reported while the worker is idle retires it; the next request runs on a fresh worker', async () => {
    const pool = faultsPool({ runtime, size: 1 });
    const before = await threadIdOf(pool);
    await collect(from([0]).pipe(poolMap(pool, 'leaveThrowingTimer')));
    // Nothing else happens in the pool now: the next change it publishes is the idle worker's retirement.
    await nextStats(pool, 'the idle worker to be retired');
    expect(await threadIdOf(pool)).not.toBe(before);
    expect(pool.stats.failed).toBe(0);
  });
});
