// transfer: argument buffers moved to the worker and result buffers back, without copying; a transfer
// callback that throws or returns no array fails that request only, with CallbackError.
import { config, from, of } from 'rxjs';
import { type Outcome, workRequest } from '../src';
import { poolMap, results } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

describe('transfer on real workers', () => {
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
});

describe('a per-request callback that throws', () => {
  const throwOn2 = (n: number) => {
    if (n === 2) throw new Error('no');
    return [];
  };

  test.each([[false], [true]])(
    'a throwing transfer yields that request CallbackError naming the option and request; the others run; ordered %p completes',
    async (ordered) => {
      const unhandled = jest.fn();
      const before = config.onUnhandledError;
      config.onUnhandledError = unhandled;
      try {
        const pool = tasksPool({ size: 2 });
        const outcomes = await collect(of(1, 2, 3).pipe(poolMap(pool, 'double', { transfer: throwOn2, ordered })));
        expect(outcomes).toHaveLength(3);
        if (ordered) expect(outcomes.map(({ request }) => request.args[0])).toEqual([1, 2, 3]);
        const failed = outcomes.find(({ request }) => request.args[0] === 2) as Outcome<[number], number>;
        expect(failed.ok).toBe(false);
        if (!failed.ok) {
          expect(failed.error).toMatchObject({ code: 'ERR_CALLBACK_FAILED', option: 'transfer', requestId: failed.request.id });
          expect(failed.error.message).toContain('"transfer"');
          expect(failed.error.message).toContain(`request ${failed.request.id}`);
          expect((failed.error.cause as Error).message).toBe('no');
        }
        expect(
          outcomes
            .filter((outcome) => outcome.ok)
            .map((outcome) => outcome.ok && outcome.value)
            .sort(),
        ).toEqual([2, 6]);
        expect(pool.stats.pipelines).toEqual([]);
        expect(unhandled).not.toHaveBeenCalled();
      } finally {
        config.onUnhandledError = before;
      }
    },
  );

  test('a transfer function that returns something other than an array yields CallbackError for that request', async () => {
    const pool = tasksPool({ size: 1 });
    const outcomes = await collect(of(1, 2).pipe(poolMap(pool, 'double', { transfer: ((n: number) => (n === 1 ? 'oops' : [])) as never })));
    const first = outcomes.find(({ request }) => request.args[0] === 1);
    expect(first && !first.ok && first.error).toMatchObject({ code: 'ERR_CALLBACK_FAILED', option: 'transfer' });
    expect(first && !first.ok && first.error.message).toMatch(/not an array/);
    expect(outcomes.find(({ request }) => request.args[0] === 2)).toMatchObject({ ok: true, value: 4 });
  });
});
