// Cooperative cancellation: a task reads its request's AbortSignal as `this.signal`. On a timeout or a cancel the pool
// aborts it first and terminates the worker only if the task has not settled within cancelGrace; a task that honours
// its signal keeps its worker, its setup and the batches beside it. On both runtimes.
import { readFileSync, rmSync } from 'node:fs';
import { filter, firstValueFrom, from, type Subscription } from 'rxjs';
import { type PoolEvent, TaskTimeoutError, workRequest } from '../src';
import { poolMap } from '../operators';
import { logFile } from './fixtures/features.worker';
import { closePools, collect, featuresPool, runtimes } from './helpers';

afterEach(closePools);

type FeaturesPool = ReturnType<typeof featuresPool>;

/** Starts `awaitAbort` (tagged `tag`) with `options`, and resolves once its task has read its signal (its first progress). */
function startListening(
  pool: FeaturesPool,
  tag: string,
  options: { cancel?: 'terminate'; signal?: AbortSignal; timeout?: number; cancelGrace?: number },
): { listening: Promise<void>; outcomes: unknown[]; done: Promise<void>; subscription: Subscription } {
  const outcomes: unknown[] = [];
  let heard!: () => void;
  const listening = new Promise<void>((resolve) => (heard = resolve));
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const subscription = from([workRequest([tag, 60_000] as [string, number])])
    .pipe(poolMap(pool, 'awaitAbort', { progress: true, ...options }))
    .subscribe({
      next: (item) => {
        if ('progress' in item) heard();
        else outcomes.push(item);
      },
      complete: ended,
    });
  subscription.add(ended);
  return { listening, outcomes, done, subscription };
}

describe.each(runtimes)('a task that reads this.signal (%s workers)', (runtime) => {
  test('a timeout aborts its signal with a TimeoutError; the task stops, and keeps its worker and its setup', async () => {
    const pool = featuresPool({ runtime, size: 1 });
    const before = await pool.run('threadId');
    const model = await pool.run('modelName');
    const terminated: PoolEvent[] = [];
    pool.events$.pipe(filter((event) => event.type === 'workerExited' || event.type === 'workerCrashed')).subscribe((event) => terminated.push(event));
    const run = startListening(pool, 'timed', { timeout: 1500 });
    await run.done;
    expect(run.outcomes).toHaveLength(1);
    expect(run.outcomes[0]).toMatchObject({ ok: false, error: expect.any(TaskTimeoutError) as never });
    expect(run.outcomes[0]).toMatchObject({ error: { signalled: true, message: expect.stringContaining('its signal was aborted') as never } });
    expect(await pool.run('abortSeen', 'timed')).toBe('TimeoutError');
    expect(await pool.run('threadId')).toBe(before);
    expect(await pool.run('modelName')).toBe(model);
    expect(terminated).toEqual([]);
  });

  test("unsubscribing with cancel: 'terminate' aborts its signal with an AbortError; it keeps its worker", async () => {
    const pool = featuresPool({ runtime, size: 1 });
    const before = await pool.run('threadId');
    const run = startListening(pool, 'unsubscribed', { cancel: 'terminate' });
    await run.listening;
    run.subscription.unsubscribe();
    // Unsubscribed: no outcome comes; the worker answers the next request once the task has stopped.
    expect(await pool.run('abortSeen', 'unsubscribed')).toBe('AbortError');
    expect(await pool.run('threadId')).toBe(before);
    expect(run.outcomes).toEqual([]);
  });

  test("an aborted signal option (with cancel: 'terminate') aborts it too; the worker stays", async () => {
    const pool = featuresPool({ runtime, size: 1 });
    const before = await pool.run('threadId');
    const controller = new AbortController();
    const run = startListening(pool, 'signalled', { signal: controller.signal, cancel: 'terminate' });
    await run.listening;
    controller.abort();
    await run.done;
    expect(await pool.run('abortSeen', 'signalled')).toBe('AbortError');
    expect(await pool.run('threadId')).toBe(before);
  });

  test('a task that reads its signal but ignores it is terminated after cancelGrace, and a fresh worker takes its place', async () => {
    const pool = featuresPool({ runtime, size: 1, cancelGrace: 200 });
    const before = await pool.run('threadId');
    const exited = firstValueFrom(pool.events$.pipe(filter((event) => event.type === 'workerExited')));
    const [outcome] = await collect(from([workRequest([60_000] as [number])]).pipe(poolMap(pool, 'ignoreAbort', { timeout: 1500 })));
    expect(outcome).toMatchObject({ ok: false, error: expect.any(TaskTimeoutError) as never });
    expect(await exited).toEqual({ type: 'workerExited', worker: 1, reason: 'terminated' });
    expect(await pool.run('threadId')).not.toBe(before);
  });

  test('under tasksPerWorker: 2, the batch beside a cancelled task that honours its signal is not touched', async () => {
    const pool = featuresPool({ runtime, size: 1, tasksPerWorker: 2 });
    const before = await pool.run('threadId');
    const ends: PoolEvent[] = [];
    pool.events$.pipe(filter((event) => event.type === 'workerExited' || event.type === 'workerCrashed')).subscribe((event) => ends.push(event));
    const run = startListening(pool, 'beside', { cancel: 'terminate' });
    await run.listening;
    const neighbour = pool.run('sleepOn', 300);
    run.subscription.unsubscribe();
    expect(await neighbour).toBe(before);
    expect(await pool.run('abortSeen', 'beside')).toBe('AbortError');
    expect(await pool.run('threadId')).toBe(before);
    expect(ends).toEqual([]);
  });

  test("closing the pool aborts it too: its request ends with PoolClosedError at once, and once it stops the worker's teardown runs", async () => {
    rmSync(logFile(), { force: true });
    const pool = featuresPool({ runtime, size: 1 });
    const pid = await pool.run('threadId');
    const run = startListening(pool, 'closed', {});
    await run.listening;
    await pool.close();
    await run.done;
    expect(run.outcomes).toMatchObject([{ ok: false, error: { code: 'ERR_POOL_CLOSED' } }]);
    // The teardown runs only in a worker stopped while idle: the task had stopped, not been terminated under it.
    expect(readFileSync(logFile(), 'utf8').trim().split('\n')).toEqual([`setup ${pid}`, `teardown ${pid}`]);
    rmSync(logFile(), { force: true });
  });
});

test('cancelGrace is checked on the pool and on poolMap: a bad value is refused with InvalidOptionError naming it', () => {
  expect(() => featuresPool({ size: 1, cancelGrace: -1 })).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option: 'cancelGrace' }) as never);
  const pool = featuresPool({ size: 1 });
  expect(() => from([1]).pipe(poolMap(pool, 'sleep', { cancelGrace: Number.NaN }))).toThrow(
    expect.objectContaining({ name: 'InvalidOptionError', option: 'cancelGrace' }) as never,
  );
});
