// Only the culprit is blamed: when a worker dies under several requests (a batch, tasksPerWorker, a
// leftover timer), the innocent ones are rerun, alone, and get their results; the culprit fails.
import { from, map, range } from 'rxjs';
import { WorkerCrashedError, workRequest } from '../src';
import { poolMap } from '../operators';
import { closePools, collect, faultsPool, statsWhere, tasksPool } from './helpers';

afterEach(closePools);

describe('a crash in a batch', () => {
  test('batch-mates of a crashing request are rerun and get their results; the culprit crashes twice and fails once', async () => {
    const pool = faultsPool({ size: 1 });
    const outcomes = await collect(
      range(0, 40).pipe(
        map((n) => workRequest([n, 17, 0] as [number, number, number])),
        poolMap(pool, 'exitOn', { batch: 40 }),
      ),
    );
    expect(outcomes).toHaveLength(40);
    const ids = outcomes.map(({ request }) => request.id);
    expect(new Set(ids).size).toBe(40);
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed.map(({ request }) => request.args[0])).toEqual([17]);
    expect(!failed[0].ok && failed[0].error).toBeInstanceOf(WorkerCrashedError);
  });

  test('a crash in a batch is blamed on its culprit only: batch-mates are rerun and get their results', async () => {
    const pool = tasksPool({ size: 1 });
    const outcomes = await collect(range(1, 50).pipe(poolMap(pool, 'exitIfMultipleOf15', { batch: 20 })));
    const failed = outcomes.filter((outcome) => !outcome.ok).map(({ request }) => request.args[0]);
    expect(failed).toEqual([15, 30, 45]);
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(47);
  });

  test('rerunOnCrash: false ends every request of a crashed batch with WorkerCrashedError', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const outcomes = await collect(from([1, 2, 15, 4]).pipe(poolMap(pool, 'exitIfMultipleOf15', { batch: 4, rerunOnCrash: false })));
    const crashed = outcomes.filter((outcome) => !outcome.ok);
    expect(crashed.length).toBeGreaterThanOrEqual(1);
    for (const outcome of crashed) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
  });
});

describe('a crash caused by an earlier request', () => {
  test('an innocent request killed by a leftover timer of an earlier request is rerun and gets its result', async () => {
    const pool = faultsPool({ size: 1 });
    const [earlier] = await collect(from([100]).pipe(poolMap(pool, 'leaveExitingTimer')));
    expect(earlier.ok && earlier.value).toBe('done');
    // This one is running when the timer exits the worker.
    const [innocent] = await collect(from([400]).pipe(poolMap(pool, 'sleep')));
    expect(innocent.ok && innocent.value).toBe(400);
  });

  test('rerunOnCrash: false ends the innocent request with WorkerCrashedError instead of running it twice', async () => {
    const pool = faultsPool({ size: 1 });
    await collect(from([100]).pipe(poolMap(pool, 'leaveExitingTimer')));
    const [innocent] = await collect(from([400]).pipe(poolMap(pool, 'sleep', { rerunOnCrash: false })));
    expect(!innocent.ok && innocent.error).toBeInstanceOf(WorkerCrashedError);
  });
});

describe('a rerun after a crash runs alone on its worker', () => {
  test('tasksPerWorker: 2 on one worker: an innocent sleep beside a request that exits gets its result; only the culprit fails', async () => {
    const pool = faultsPool({ size: 1, tasksPerWorker: 2 });
    await pool.ready;
    const innocent = collect(from([workRequest([300] as [number])]).pipe(poolMap(pool, 'sleep')));
    const culprit = collect(from([workRequest([1] as [number])]).pipe(poolMap(pool, 'exit')));
    const [[slept], [exited]] = await Promise.all([innocent, culprit]);
    expect(slept).toMatchObject({ ok: true, value: 300 });
    expect(!exited.ok && exited.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect(pool.stats).toMatchObject({ completed: 1, failed: 1 });
  });

  test('tasksPerWorker: 2: a request that comes while a rerun runs alone waits for it, so its crash is not blamed on the rerun', async () => {
    const pool = faultsPool({ size: 1, tasksPerWorker: 2 });
    await pool.ready;
    // The worker exits 20 ms after the timer's request returned, under the sleep: the sleep is rerun, alone.
    const innocent = collect(from([workRequest([300] as [number])]).pipe(poolMap(pool, 'sleep')));
    await collect(from([workRequest([20] as [number])]).pipe(poolMap(pool, 'leaveExitingTimer')));
    await statsWhere(pool, (stats) => stats.busy === 0, 'the worker died and its replacement is starting');
    await statsWhere(pool, (stats) => stats.busy === 1, 'the sleep is rerun on the new worker');
    // Sent while the rerun runs alone: it must wait for the rerun to end, not run beside it.
    const [exited] = await collect(from([workRequest([1] as [number])]).pipe(poolMap(pool, 'exit')));
    const [slept] = await innocent;
    expect(slept).toMatchObject({ ok: true, value: 300 });
    expect(!exited.ok && exited.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
  });

  test('while other pipelines keep the only worker busy (tasksPerWorker: 2), the rerun waits for it to empty, then runs alone; everything ends', async () => {
    const pool = faultsPool({ size: 1, tasksPerWorker: 2 });
    await pool.ready;
    const busy = collect(from(Array.from({ length: 12 }, () => workRequest([40] as [number]))).pipe(poolMap(pool, 'sleep', { batch: 1 })));
    const crashed = collect(
      from([workRequest([1, 1, 60] as [number, number, number]), workRequest([2, 1, 60] as [number, number, number])]).pipe(
        poolMap(pool, 'exitOn', { batch: 1 }),
      ),
    );
    const [slept, outcomes] = await Promise.all([busy, crashed]);
    expect(slept.map((outcome) => outcome.ok && outcome.value)).toEqual(Array(12).fill(40));
    const byArg = new Map(outcomes.map((outcome) => [outcome.request.args[0], outcome]));
    expect(byArg.get(1)).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_CRASHED' } });
    expect(byArg.get(2)).toMatchObject({ ok: true, value: 2 });
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0, pipelines: [] });
  });
});
