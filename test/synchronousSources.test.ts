// A synchronous source is stopped as soon as poolMap's output closes (take, a full queue, an aborted signal), as under mergeMap.
import { from, Observable, take } from 'rxjs';
import type { Pool } from '../src';
import { poolMap } from '../operators';
import type { Tasks } from './fixtures/tasks.worker';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

/** A synchronous source of `count` values that stops as soon as its subscriber is closed; `emitted` says how far it got. */
function syncSource(count: number): { readonly source: Observable<number>; emitted: () => number } {
  let emitted = 0;
  const source = new Observable<number>((subscriber) => {
    for (let i = 0; i < count && !subscriber.closed; i++) {
      emitted++;
      subscriber.next(i);
    }
    subscriber.complete();
  });
  return { source, emitted: () => emitted };
}

/** A pool whose every request fails at once (it is closed). */
async function closedPool(): Promise<Pool<Tasks>> {
  const pool = tasksPool({ size: 1 });
  await pool.close();
  return pool;
}

describe('a synchronous source is stopped when the output closes', () => {
  test('closed pool, take(3): a source that checks subscriber.closed emits 3 values, as under mergeMap', async () => {
    const pool = await closedPool();
    const { source, emitted } = syncSource(10);
    const outcomes = await collect(source.pipe(poolMap(pool, 'double'), take(3)));
    expect(outcomes).toHaveLength(3);
    expect(emitted()).toBe(3);
  });

  test('a full queue (size 2), take(3): the source stops after the 2 queued and 3 refused', async () => {
    const pool = tasksPool({ size: 1 });
    const { source, emitted } = syncSource(10);
    const outcomes = await collect(source.pipe(poolMap(pool, 'double', { queue: { size: 2 } }), take(3)));
    expect(outcomes.map((outcome) => !outcome.ok && outcome.error.code)).toEqual(['ERR_QUEUE_FULL', 'ERR_QUEUE_FULL', 'ERR_QUEUE_FULL']);
    expect(emitted()).toBe(5);
  });

  test('a signal aborted from inside the source stops it at once, and the stream completes', async () => {
    const pool = tasksPool({ size: 1 });
    const controller = new AbortController();
    let emitted = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 10 && !subscriber.closed; i++) {
        emitted++;
        subscriber.next(i);
        if (i === 3) controller.abort();
      }
      subscriber.complete();
    });
    const outcomes = await collect(source.pipe(poolMap(pool, 'double', { signal: controller.signal })));
    expect(outcomes).toEqual([]);
    expect(emitted).toBe(4);
    expect(pool.stats).toMatchObject({ queued: 0, pipelines: [] });
  });

  test('from(generator) with take(1) on a closed pool pulls one value, not the whole generator', async () => {
    const pool = await closedPool();
    let pulled = 0;
    function* values(): Generator<number> {
      for (let i = 0; i < 100_000; i++) {
        pulled++;
        yield i;
      }
    }
    const outcomes = await collect(from(values()).pipe(poolMap(pool, 'double'), take(1)));
    expect(outcomes).toHaveLength(1);
    expect(pulled).toBe(1);
  });

  test('an endless synchronous source returns once take has what it needs', async () => {
    const pool = await closedPool();
    // Endless but for a safety stop, so that a broken pipeline fails here rather than hanging the suite.
    const { source, emitted } = syncSource(1_000_000);
    await expect(collect(source.pipe(poolMap(pool, 'double'), take(5)))).resolves.toHaveLength(5);
    expect(emitted()).toBe(5);
  });
});
