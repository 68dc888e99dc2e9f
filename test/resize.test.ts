// Resizing a running pool: createWorkers, dismissWorkers and joinAllDismissedWorkers, down to no worker and back.
import { map, range, Subject } from 'rxjs';
import { workRequest } from '../src';
import { poolMap } from '../operators';
import { closePools, collect, faultsPool, statsWhere, tasksPool } from './helpers';

afterEach(closePools);

describe('resizing a running pool', () => {
  test('createWorkers mid-stream: the running pipeline uses the new workers without resubscribing', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const source = new Subject<ReturnType<typeof workRequest<[]>>>();
    const threads = new Set<number>();
    let peakBusy = 0;
    const stats = pool.stats$.subscribe(({ busy }) => (peakBusy = Math.max(peakBusy, busy)));
    const done = collect(source.pipe(poolMap(pool, 'threadId')));
    const sub = done.then((outcomes) => outcomes.forEach((outcome) => outcome.ok && threads.add(outcome.value)));
    for (let i = 0; i < 5; i++) source.next(workRequest([]));
    await statsWhere(pool, (snapshot) => snapshot.completed === 5, 'the first five requests to end');
    expect(peakBusy).toBe(1);

    await pool.createWorkers(2);
    expect(pool.size).toBe(3);
    const spin = collect(
      range(0, 30).pipe(
        map(() => 20),
        poolMap(pool, 'spin'),
      ),
    );
    for (let i = 0; i < 60; i++) source.next(workRequest([]));
    source.complete();
    await Promise.all([sub, spin]);
    stats.unsubscribe();
    expect(peakBusy).toBe(3);
    expect(threads.size).toBe(3);
  });

  test('dismissWorkers mid-stream: busy workers finish their request, no request is lost, concurrency drops', async () => {
    const pool = tasksPool({ size: 2 });
    await pool.ready;
    const outcomes = collect(
      range(0, 20).pipe(
        map(() => 30),
        poolMap(pool, 'spin'),
      ),
    );
    await statsWhere(pool, (snapshot) => snapshot.busy === 2, 'both workers to run a request');
    await pool.dismissWorkers(1, { join: true });
    expect(pool.size).toBe(1);
    let peakBusy = 0;
    const stats = pool.stats$.subscribe(({ busy }) => (peakBusy = Math.max(peakBusy, busy)));
    const all = await outcomes;
    stats.unsubscribe();
    expect(all).toHaveLength(20);
    expect(all.every((outcome) => outcome.ok)).toBe(true);
    expect(peakBusy).toBe(1);
  });

  test('dismissing every worker holds requests until workers are created again', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    await pool.dismissWorkers(5, { join: true });
    expect(pool.size).toBe(0);
    const outcomes = collect(range(1, 3).pipe(poolMap(pool, 'double')));
    await statsWhere(pool, (snapshot) => snapshot.queued === 3, 'the three requests to be queued');
    expect(pool.stats.queued).toBe(3);
    await pool.createWorkers(1);
    expect((await outcomes).map((outcome) => outcome.ok && outcome.value).sort()).toEqual([2, 4, 6]);
  });

  test('joinAllDismissedWorkers waits for workers dismissed without join', async () => {
    const pool = tasksPool({ size: 2 });
    await pool.ready;
    const outcomes = collect(
      range(0, 2).pipe(
        map(() => 100),
        poolMap(pool, 'spin'),
      ),
    );
    await statsWhere(pool, (snapshot) => snapshot.busy === 2, 'both workers to run a request');
    await pool.dismissWorkers(2);
    expect(pool.size).toBe(0);
    expect(pool.stats.busy).toBe(2);
    await pool.joinAllDismissedWorkers();
    expect(pool.stats.busy).toBe(0);
    expect((await outcomes).every((outcome) => outcome.ok)).toBe(true);
  });

  test('requests queued while no worker is live stay queued and are served by createWorkers', async () => {
    const pool = faultsPool({ size: 2 });
    await pool.dismissWorkers(2, { join: true });
    const outcomes = collect(range(0, 20).pipe(poolMap(pool, 'echo')));
    await statsWhere(pool, (snapshot) => snapshot.queued === 20, 'the twenty requests to be queued');
    expect(pool.stats).toMatchObject({ workers: 0, queued: 20 });
    await pool.createWorkers(1);
    const all = await outcomes;
    expect(all.filter((outcome) => outcome.ok)).toHaveLength(20);
  });
});
