/**
 * The recipes of docs/recipes.md (examples/recipes.ts) on real workers running the
 * demo's worker module: what each recipe promises its reader.
 */
import { join } from 'node:path';
import { firstValueFrom, from, interval, map, Subject, tap, timer } from 'rxjs';
import { countAll, countInOrder, countLazily, countUntil, countUntilWithOutcomes, growWhenBusy, sampleHotSource } from '../examples/recipes';
import type { Tasks } from '../examples/primes.worker';
import { createPool, type PoolOptions } from '../src';
import { closePools, collect, track } from './helpers';

afterEach(closePools);

const primesPool = (options?: PoolOptions) => track(createPool<Tasks>(join(__dirname, '..', 'examples', 'primes.worker.ts'), options));

// Primes up to 10, 100, 1000 and 5000.
const limits = [5000, 10, 1000, 100];
const counts = new Map([
  [10, 4],
  [100, 25],
  [1000, 168],
  [5000, 669],
]);

test('CPU-bound map: every result, in completion order', async () => {
  const pool = primesPool({ size: 2 });
  const values = await collect(countAll(pool, limits));
  expect([...values].sort((a, b) => a - b)).toEqual([4, 25, 168, 669]);
});

test('ordered output: the results in the order the requests came in', async () => {
  const pool = primesPool({ size: 2 });
  expect(await collect(countInOrder(pool, limits))).toEqual(limits.map((limit) => counts.get(limit)));
});

test('bounded queue from a lazy producer: it is pulled only as the queue has room, and every request is served', async () => {
  const pool = primesPool({ size: 2 });
  let pulled = 0;
  let pulledAtFirstResult: number | undefined;
  function* lines(): Generator<number> {
    for (let i = 0; i < 2000; i++) {
      pulled++;
      yield 100;
    }
  }
  const values = await collect(countLazily(pool, lines).pipe(map((value) => ((pulledAtFirstResult ??= pulled), value))));
  expect(values).toHaveLength(2000);
  expect(values.every((value) => value === 25)).toBe(true);
  // Not drained up front: when the first result came, at most the queue (100) and what the workers held were pulled.
  expect(pulledAtFirstResult).toBeLessThan(1000);
});

test('a hot producer with a queue of 10 that drops the oldest: every reading yields one outcome, the dropped ones QueueFullError', async () => {
  const pool = primesPool({ size: 1 });
  const outcomes = await collect(sampleHotSource(pool, from(Array.from({ length: 200 }, () => 20_000))));
  expect(outcomes).toHaveLength(200);
  const dropped = outcomes.filter((outcome) => !outcome.ok);
  expect(dropped.length).toBeGreaterThan(0);
  expect(dropped.every((outcome) => outcome.code === 'ERR_QUEUE_FULL')).toBe(true);
  expect(outcomes.some((outcome) => outcome.ok)).toBe(true);
});

test('cancel with takeUntil: the stream completes when told, and the pool serves the next pipeline', async () => {
  const pool = primesPool({ size: 2 });
  const values = await collect(countUntil(pool, interval(1).pipe(map(() => 100)), timer(100)));
  expect(values.every((value) => value === 25)).toBe(true);
  expect(await collect(countAll(pool, [10]))).toEqual([4]);
});

test('cancel with outcomes: every request sent yields exactly one outcome, TaskCancelledError for those cut off', async () => {
  const pool = primesPool({ size: 1 });
  const stop = new Subject<void>();
  const outcomes = await collect(
    countUntilWithOutcomes(pool, from(Array.from({ length: 50 }, () => 200_000)), stop).pipe(tap((outcome) => outcome.ok && queueMicrotask(() => stop.next()))),
  );
  expect(outcomes).toHaveLength(50);
  expect(new Set(outcomes.map(({ request }) => request.id)).size).toBe(50);
  expect(outcomes[0]).toMatchObject({ ok: true, value: 17984 });
  const cancelled = outcomes.filter((outcome) => !outcome.ok);
  expect(cancelled.length).toBeGreaterThan(40);
  for (const outcome of cancelled) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_TASK_CANCELLED', requestId: outcome.request.id });
});

test('resize under load: a backlog grows the pool up to its maximum, and the running pipeline uses the new worker', async () => {
  const pool = primesPool({ size: 1 });
  await pool.ready;
  let mostBusy = 0;
  const watching = pool.stats$.subscribe(({ busy }) => (mostBusy = Math.max(mostBusy, busy)));
  const grown = new Subject<number>();
  const growing = growWhenBusy(pool, 2, 20).subscribe(grown);
  const sizeTwo = firstValueFrom(grown);
  // Enough work that the second worker is up (it loads through ts-node here) well before the backlog is gone.
  const running = collect(
    countAll(
      pool,
      Array.from({ length: 3000 }, () => 20_000),
    ),
  );
  expect(await sizeTwo).toBe(2);
  const values = await running;
  growing.unsubscribe();
  watching.unsubscribe();
  expect(values).toHaveLength(3000);
  expect(pool.size).toBe(2);
  expect(mostBusy).toBe(2);
});
