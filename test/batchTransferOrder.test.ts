import { from, map, range } from 'rxjs';
import { workRequest } from '../src';
import { poolMap, results } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

describe('batching, transfer and ordered output on real workers', () => {
  test.each([['auto' as const], [1], [64]])('batch: %p — 20,000 requests, every 7th failing, each yields its own outcome', async (batch) => {
    const pool = tasksPool({ size: 2 });
    const outcomes = await collect(
      range(0, 20_000).pipe(
        map((i) => (i % 7 === 0 ? i * 2 + 1 : i * 2)),
        poolMap(pool, 'failIfOdd', { batch }),
      ),
    );
    expect(outcomes).toHaveLength(20_000);
    expect(new Set(outcomes.map(({ request }) => request.id)).size).toBe(20_000);
    for (const outcome of outcomes) {
      const odd = (outcome.request.args[0] as number) % 2 === 1;
      expect(outcome.ok).toBe(!odd);
      if (outcome.ok) expect(outcome.value).toBe(outcome.request.args[0]);
    }
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

  test('transfer moves argument buffers to the worker and result buffers back, without copying', async () => {
    const pool = tasksPool({ size: 1 });
    const values = new Float64Array(1024).fill(2);
    const [summed] = await collect(from([values]).pipe(poolMap(pool, 'sum', { transfer: (array) => [array.buffer] }), results()));
    expect(summed.value).toBe(2048);
    expect(values.byteLength).toBe(0); // moved away

    const kept = new Float64Array(4).fill(1);
    await collect(from([kept]).pipe(poolMap(pool, 'sum'), results()));
    expect(kept.byteLength).toBe(32); // copied by default

    const [scaled] = await collect(from([workRequest([new Float64Array([1, 2, 3]), 10] as [Float64Array, number])]).pipe(poolMap(pool, 'scale'), results()));
    expect(Array.from(scaled.value)).toEqual([10, 20, 30]);
    expect(Object.prototype.toString.call(scaled.value)).toBe('[object Float64Array]');
  });

  test('ordered: true emits in request order even when later requests finish first', async () => {
    const pool = tasksPool({ size: 2 });
    const delays = [60, 5, 40, 1, 20, 1, 1, 30];
    const outcomes = await collect(from(delays).pipe(poolMap(pool, 'delayed', { ordered: true })));
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual(delays.map((ms) => `waited ${ms}`));
  });
});
