// A source error: passed on at once; the running request is abandoned (it finishes on its worker) or, with cancel: 'terminate', its worker replaced.
import { from, Subject } from 'rxjs';
import { workRequest } from '../src';
import { poolMap, results } from '../operators';
import { closePools, collect, faultsPool, tasksPool } from './helpers';

afterEach(closePools);

describe('a source error', () => {
  test('a source error is passed on', async () => {
    const pool = tasksPool({ size: 1 });
    const source = new Subject<number>();
    const result = collect(source.pipe(poolMap(pool, 'double')));
    source.next(1);
    source.error(new Error('source broke'));
    await expect(result).rejects.toThrow('source broke');
  });

  test.each([
    ['abandon' as const, 'the running request finishes on the same worker first'],
    ['terminate' as const, 'the worker running the request is replaced'],
  ])('is passed on at once; with cancel %p %s', async (cancel, _what) => {
    const pool = faultsPool({ size: 1 });
    await pool.ready;
    const [before] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results()));
    const source = new Subject<ReturnType<typeof workRequest<[number]>>>();
    const failed = collect(source.pipe(poolMap(pool, 'sleep', { cancel }))).catch((error: unknown) => error);
    source.next(workRequest([400] as [number]));
    source.error(new Error('source broke'));
    await expect(failed).resolves.toMatchObject({ message: 'source broke' });
    // The next request runs after the abandoned one on the same thread, or at once on a fresh one.
    const [after] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results()));
    if (cancel === 'abandon') expect(after.value).toBe(before.value);
    else expect(after.value).not.toBe(before.value);
    expect(pool.stats).toMatchObject({ workers: 1, pipelines: [] });
  });
});
