// Priority per request on real workers: poolMap's priority as a function of the request orders what waits.
import { from, map, range } from 'rxjs';
import { createPool, workRequest } from '../src';
import { poolMap } from '../operators';
import type { FaultTasks } from './fixtures/faults.worker';
import { closePools, collect, fixture, statsWhere, tasksPool, track } from './helpers';

afterEach(closePools);

describe('poolMap priority per request', () => {
  test('while one request runs, the waiting ones leave by priority, highest first', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const running = collect(from([300]).pipe(poolMap(pool, 'delayed')));
    await statsWhere(pool, (stats) => stats.busy === 1, 'the first request to run');
    const outcomes = await collect(from([1, 4, 2, 6, 3, 5]).pipe(poolMap(pool, 'double', { priority: (n) => n, batch: 1 })));
    await running;
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([12, 10, 8, 6, 4, 2]);
  });

  test('a priority that is not a finite number ends that request with CallbackError naming the option; the others run', async () => {
    const pool = tasksPool({ size: 1 });
    const outcomes = await collect(from([1, 2, 3]).pipe(poolMap(pool, 'double', { priority: (n) => (n === 2 ? Number.NaN : n) })));
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed.map(({ request }) => request.args[0])).toEqual([2]);
    expect(!failed[0].ok && failed[0].error).toMatchObject({ code: 'ERR_CALLBACK_FAILED', option: 'priority' });
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(2);
  });
});

test('a crash in a batch of a ranked pipeline: the innocent requests are rerun first, alone, and every request has one outcome', async () => {
  const pool = track(createPool<FaultTasks>(fixture('faults.worker.ts'), { size: 1 }));
  await pool.ready;
  const outcomes = await collect(
    range(0, 8).pipe(
      map((n) => workRequest([n, 5, 0] as [number, number, number])),
      poolMap(pool, 'exitOn', { batch: 4, priority: (n) => n }),
    ),
  );
  expect(outcomes).toHaveLength(8);
  expect(new Set(outcomes.map((outcome) => outcome.request.id)).size).toBe(8);
  const failed = outcomes.filter((outcome) => !outcome.ok);
  expect(failed.map(({ request }) => request.args[0])).toEqual([5]);
  expect(!failed[0].ok && failed[0].error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
});
