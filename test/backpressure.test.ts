// Backpressure: poolMap's queue: { size, overflow } bounds what waits, and pullFrom pulls a lazy source only as the queue has room;
// the pool's maxQueue bounds what waits over every pipeline, and cancelPending() ends it.
import { from, take } from 'rxjs';
import { createPool, TaskCancelledError } from '../src';
import { poolMap, pullFrom } from '../operators';
import type { Tasks } from './fixtures/tasks.worker';
import { closePools, collect, fixture, statsWhere, tasksPool, track } from './helpers';

afterEach(closePools);

describe('backpressure: pulling from a lazy source, a bounded queue', () => {
  test('a lazy async source of 1,000,000 requests runs through queue: { size: 1000 } in bounded memory', async () => {
    const pool = tasksPool({ size: 2 });
    await pool.ready;
    const total = 1_000_000;
    let produced = 0;
    let maxQueued = 0;
    async function* requests(): AsyncGenerator<number> {
      for (let i = 0; i < total; i++) {
        produced++;
        yield i;
      }
    }
    let count = 0;
    let mostHeld = 0;
    let sum = 0;
    await new Promise<void>((resolve, reject) => {
      pullFrom(requests())
        .pipe(poolMap(pool, 'double', { queue: { size: 1000 } }))
        .subscribe({
          next: (outcome) => {
            if (!outcome.ok) throw outcome.error;
            count++;
            sum += outcome.value;
            // Requests pulled and not yet answered: what the pipeline holds in memory at once.
            mostHeld = Math.max(mostHeld, produced - count);
            if (count % 50_000 === 0) maxQueued = Math.max(maxQueued, pool.stats.queued);
          },
          error: reject,
          complete: resolve,
        });
    });
    expect(count).toBe(total);
    expect(produced).toBe(total);
    expect(sum).toBe(total * (total - 1));
    expect(maxQueued).toBeLessThanOrEqual(1000);
    // Memory stays flat: at most the queue's 1000 plus the batches running on the 2 workers ('auto' sends at
    // most 2048 a batch) are held at once, never the million (counted, not measured: the heap's peak
    // depends on when the collector runs).
    expect(mostHeld).toBeLessThanOrEqual(1000 + 2 * 2048);
  }, 120_000);

  test('pulling stops when the subscriber unsubscribes, and the iterator is closed', async () => {
    const pool = tasksPool({ size: 1 });
    let produced = 0;
    let closed = false;
    function* endless(): Generator<number> {
      try {
        for (;;) {
          produced++;
          yield produced;
        }
      } finally {
        closed = true;
      }
    }
    const firstTen = await collect(pullFrom(endless()).pipe(poolMap(pool, 'double', { queue: { size: 5 } }), take(10)));
    expect(firstTen).toHaveLength(10);
    expect(closed).toBe(true);
    // Pulled, beyond the ten taken: the rest of the batch that held the tenth (one worker runs one batch of at
    // most the queue's 5), the queue refilled meanwhile (5) and the one the pull loop was holding. How many a
    // batch held depends on timing; an unbounded pull would reach thousands here.
    expect(produced).toBeLessThanOrEqual(10 + 4 + 5 + 1);
  });

  test('a plain source with queue: { size } ends overflowing requests with QueueFullError instead of queueing them', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const outcomes = await collect(from(Array.from({ length: 100 }, () => 20)).pipe(poolMap(pool, 'delayed', { queue: { size: 3 } })));
    expect(outcomes).toHaveLength(100);
    const refused = outcomes.filter((outcome) => !outcome.ok);
    expect(refused.length).toBeGreaterThanOrEqual(90);
    for (const outcome of refused) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_QUEUE_FULL', reason: 'full', size: 3 });
  });
});

describe('the pool-wide queue: maxQueue and cancelPending() on real workers', () => {
  test('maxQueue bounds the requests waiting over every pipeline: a pushed source overflows with QueueFullError (queue: pool), a pulled one waits and loses nothing', async () => {
    const pool = tasksPool({ size: 1, maxQueue: 5 });
    await pool.ready;
    let mostQueued = 0;
    const watching = pool.stats$.subscribe((stats) => (mostQueued = Math.max(mostQueued, stats.queued)));
    // A pushing source: 50 requests at once; a pulled one: 50 more, taken only while the pool's queue has room.
    const pushed = collect(from(Array.from({ length: 50 }, () => 10)).pipe(poolMap(pool, 'delayed', { batch: 1 })));
    const pulled = collect(pullFrom(Array.from({ length: 50 }, (_, i) => i)).pipe(poolMap(pool, 'double', { batch: 1 })));
    const [pushedOutcomes, pulledOutcomes] = await Promise.all([pushed, pulled]);
    watching.unsubscribe();
    const refused = pushedOutcomes.filter((outcome) => !outcome.ok);
    expect(refused.length).toBeGreaterThanOrEqual(40);
    for (const outcome of refused) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_QUEUE_FULL', queue: 'pool', size: 5 });
    expect(pulledOutcomes.map((outcome) => outcome.ok && outcome.value).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 50 }, (_, i) => 2 * i).sort((a, b) => a - b),
    );
    expect(mostQueued).toBeLessThanOrEqual(5);
  });

  test('cancelPending() ends the queued requests of plain and keyed pipelines with TaskCancelledError; the running one finishes', async () => {
    const pool = track(createPool<Tasks>(fixture('tasks.worker.ts'), { size: 1 }));
    await pool.ready;
    const plain = collect(from([300, 10, 10]).pipe(poolMap(pool, 'delayed', { batch: 1 })));
    const keyed = collect(from([1, 2, 3]).pipe(poolMap(pool, 'double', { key: (n) => n % 2 })));
    await statsWhere(pool, (stats) => stats.busy === 1 && stats.queued === 5, 'one request to run and five to wait');
    expect(pool.cancelPending()).toBe(5);
    const [plainOutcomes, keyedOutcomes] = await Promise.all([plain, keyed]);
    expect(plainOutcomes.map((outcome) => (outcome.ok ? outcome.value : outcome.error.code))).toEqual([
      'ERR_TASK_CANCELLED',
      'ERR_TASK_CANCELLED',
      'waited 300',
    ]);
    expect(keyedOutcomes.map((outcome) => (outcome.ok ? outcome.value : outcome.error.code))).toEqual([
      'ERR_TASK_CANCELLED',
      'ERR_TASK_CANCELLED',
      'ERR_TASK_CANCELLED',
    ]);
    for (const outcome of [...plainOutcomes, ...keyedOutcomes]) if (!outcome.ok) expect(outcome.error).toBeInstanceOf(TaskCancelledError);
    // Later requests queue and run as usual.
    expect(await pool.run('double', 21)).toBe(42);
  });
});
