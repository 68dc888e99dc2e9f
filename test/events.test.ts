// pool.events$: what happens to the pool's workers (started, exited, crashed, recycled, each with its number and the reason
// or cause), its queues (full, drained) and its close, as it happens; nothing before a subscriber came.
import { filter, firstValueFrom, from, map, range } from 'rxjs';
import { type PoolEvent, workRequest } from '../src';
import { poolMap } from '../operators';
import { closePools, collect, faultsPool, featuresPool, tasksPool } from './helpers';

afterEach(closePools);

/** Every event of `pool` from now on, and a way to wait for the first that matches. */
function record(pool: { events$: import('rxjs').Observable<PoolEvent> }): {
  readonly seen: PoolEvent[];
  next: (match: (event: PoolEvent) => boolean) => Promise<PoolEvent>;
} {
  const seen: PoolEvent[] = [];
  pool.events$.subscribe((event) => seen.push(event));
  return { seen, next: (match) => firstValueFrom(pool.events$.pipe(filter(match))) };
}

describe('pool.events$', () => {
  test('a crash: workerCrashed with the worker, how it died and its cause; then its replacement starts', async () => {
    const pool = faultsPool({ size: 1 });
    await pool.ready;
    const { seen, next } = record(pool);
    const replaced = next((event) => event.type === 'workerStarted');
    await collect(from([workRequest([3])]).pipe(poolMap(pool, 'exit', { rerunOnCrash: false })));
    await replaced;
    expect(seen).toEqual([{ type: 'workerCrashed', worker: 1, reason: 'exited with code 3' }, { type: 'drained' }, { type: 'workerStarted', worker: 2 }]);
  });

  test('recycling, a timeout and a dismissal each end a worker with its own event and reason', async () => {
    const pool = featuresPool({ size: 1, maxTasksPerWorker: 2 });
    await pool.ready;
    const { seen, next } = record(pool);
    // Two requests: worker 1 reaches maxTasksPerWorker and is replaced between batches.
    const second = next((event) => event.type === 'workerStarted');
    await collect(
      range(0, 2).pipe(
        map(() => 1),
        poolMap(pool, 'sleep', { batch: 1 }),
      ),
    );
    await second;
    // A request that times out: its worker (2) is terminated and replaced.
    const third = next((event) => event.type === 'workerStarted');
    await collect(from([5_000]).pipe(poolMap(pool, 'sleep', { timeout: 50 })));
    await third;
    // One more worker; then one dismissed (the latest idle).
    await pool.createWorkers(1);
    await pool.dismissWorkers(1, { join: true });
    expect(seen.filter((event) => event.type !== 'drained')).toEqual([
      { type: 'workerRecycled', worker: 1, reason: 'maxTasksPerWorker' },
      { type: 'workerStarted', worker: 2 },
      { type: 'workerExited', worker: 2, reason: 'terminated' },
      { type: 'workerStarted', worker: 3 },
      { type: 'workerStarted', worker: 4 },
      { type: 'workerExited', worker: 4, reason: 'dismissed' },
    ]);
  });

  test('an idle worker past idleTimeout exits as idle', async () => {
    const pool = featuresPool({ size: 1, idleTimeout: 100 });
    await pool.ready;
    const { next } = record(pool);
    await collect(from([1]).pipe(poolMap(pool, 'sleep')));
    expect(await next((event) => event.type === 'workerExited')).toEqual({ type: 'workerExited', worker: 1, reason: 'idle' });
  });

  test('queueFull names the queue, the pipeline and the request; drained comes once the pool has nothing queued or running', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const { seen } = record(pool);
    const outcomes = await collect(from([100, 1, 1]).pipe(poolMap(pool, 'delayed', { batch: 1, queue: { size: 1 }, name: 'slow' })));
    const refused = outcomes.filter((outcome) => !outcome.ok);
    expect(refused).toHaveLength(1);
    expect(seen).toEqual([
      { type: 'queueFull', queue: 'pipeline', pipeline: 'slow', size: 1, requestId: refused[0].request.id, reason: 'full' },
      { type: 'drained' },
    ]);
  });

  test('close: closing (drained or not), every worker exited as closed, closed, then events$ completes; a subscriber sees nothing from before it came', async () => {
    const pool = tasksPool({ size: 2 });
    await pool.ready;
    await collect(from([1, 2, 3]).pipe(poolMap(pool, 'double')));
    const events = collect(pool.events$);
    await pool.close({ drain: true });
    expect(await events).toEqual([
      { type: 'closing', drain: true },
      { type: 'workerExited', worker: 1, reason: 'closed' },
      { type: 'workerExited', worker: 2, reason: 'closed' },
      { type: 'closed' },
    ]);
  });
});
