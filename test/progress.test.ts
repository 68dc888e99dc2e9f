// Progress from inside a task: what a generator task yields arrives as { request, progress } before its outcome.
import { from, range, share, tap } from 'rxjs';
import { workRequest } from '../src';
import { errors, poolMap, progress, results } from '../operators';
import { closePools, collect, featuresPool, gatePool, newGate, openGate } from './helpers';

afterEach(closePools);

describe('progress from inside a task', () => {
  test('a generator task’s yields arrive as { request, progress } before its one outcome, never after it', async () => {
    const pool = featuresPool({ size: 2 });
    const items = await collect(
      from([workRequest([3, 20] as [number, number]), workRequest([2, 30] as [number, number])]).pipe(poolMap(pool, 'hashChunks', { progress: true })),
    );
    for (const request of new Set(items.map((item) => item.request))) {
      const mine = items.filter((item) => item.request === request);
      const chunks = request.args[0];
      expect(mine.map((item) => (item.ok === undefined ? item.progress : 'final'))).toEqual([
        ...Array.from({ length: chunks }, (_, i) => (i + 1) / chunks),
        'final',
      ]);
      const last = mine[mine.length - 1];
      expect(last.ok === true && last.value).toBe(`hashed ${chunks} chunks`);
    }
  });

  test('results() and errors() never take progress for an outcome; progress() selects it', async () => {
    const pool = featuresPool({ size: 1 });
    const items$ = from([workRequest([]), workRequest([])]).pipe(poolMap(pool, 'failHalfway', { progress: true }), share());
    const [failures, values] = await Promise.all([collect(items$.pipe(errors())), collect(items$.pipe(progress()))]);
    expect(failures).toHaveLength(2);
    for (const failure of failures) expect(failure.error).toMatchObject({ code: 'ERR_TASK_FAILED', cause: { name: 'RangeError' } });
    expect(values.map((item) => item.progress)).toEqual(['half', 'half']);
    const counted = await collect(range(0, 5).pipe(poolMap(pool, 'countUp', { progress: true }), results()));
    expect(counted.map(({ value }) => value).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  test('progress that cannot be posted, from a generator whose cleanup throws too, ends that request with its error; the batch and the worker go on', async () => {
    const pool = featuresPool({ size: 1 });
    const items = await collect(from([workRequest([]), workRequest([])]).pipe(poolMap(pool, 'uncloneableProgress', { progress: true, batch: 2 })));
    const outcomes = items.filter((item) => 'ok' in item);
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_TASK_FAILED' } });
    expect(await pool.run('threadId')).toEqual(expect.any(Number));
  });

  test('without progress: true, a generator task yields only its outcome', async () => {
    const pool = featuresPool({ size: 1 });
    const items = await collect(from([4]).pipe(poolMap(pool, 'countUp')));
    expect(items).toEqual([expect.objectContaining({ ok: true, value: 4 })]);
  });

  test('under batching, progress arrives while the batch runs, not at its end', async () => {
    // Requests sent before the worker is ready all wait, so they travel in one batch, and its outcomes come
    // together at its end. Each request yields two progress values, then waits (up to 3 s) for a gate that
    // the test opens when it sees the first progress: were progress held back to the batch's end, nobody
    // would open it, and every request would answer 'still closed'.
    const pool = gatePool({ size: 1 });
    const gate = newGate();
    const requests = [0, 1, 2].map(() => workRequest([gate, 2, 3000] as [Int32Array, number, number]));
    const items = await collect(
      from(requests).pipe(
        poolMap(pool, 'progressThenWait', { progress: true, batch: 3 }),
        tap((item) => item.ok === undefined && openGate(gate)),
      ),
    );
    const kinds = items.map((item) => (item.ok === undefined ? 'progress' : 'outcome'));
    expect(kinds.filter((kind) => kind === 'progress')).toHaveLength(6);
    expect(kinds.indexOf('progress')).toBeLessThan(kinds.indexOf('outcome'));
    expect(items.flatMap((item) => (item.ok === undefined ? [] : [item.ok && item.value]))).toEqual(['opened', 'opened', 'opened']);
  });
});
