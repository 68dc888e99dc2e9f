// resourceLimits: a worker that runs out of memory fails its request alone; limits too low to start are a WorkerStartError.
import { from, range } from 'rxjs';
import { Worker as ThreadsWorker } from 'threads';
import { createPool, WorkerCrashedError, WorkerStartError, workRequest } from '../src';
import { poolMap, results } from '../operators';
import type { FaultTasks } from './fixtures/faults.worker';
import { closePools, collect, faultsPool, fixture, track } from './helpers';

afterEach(closePools);

describe('out of memory', () => {
  test('with resourceLimits, a task that allocates without bound fails alone with a clear error; the process and the pool survive', async () => {
    const pool = faultsPool({ size: 2, resourceLimits: { maxOldGenerationSizeMb: 48 } });
    const outcomes = await collect(from([workRequest([]), workRequest([])]).pipe(poolMap(pool, 'allocate')));
    for (const outcome of outcomes) {
      expect(!outcome.ok && outcome.error).toBeInstanceOf(WorkerCrashedError);
      expect(!outcome.ok && outcome.error.message).toMatch(/ran out of memory \(its resourceLimits\)/);
    }
    const echoed = await collect(range(0, 10).pipe(poolMap(pool, 'echo'), results()));
    expect(echoed).toHaveLength(10);
  });

  test('limits too low for a worker to start are a WorkerStartError, not a respawn loop', async () => {
    let made = 0;
    const exits: Promise<unknown>[] = [];
    const pool = track(
      createPool<FaultTasks>(
        () => {
          made++;
          const worker = new ThreadsWorker('./fixtures/faults.worker.ts', { resourceLimits: { maxOldGenerationSizeMb: 1 } } as never);
          exits.push(new Promise((resolve) => (worker as unknown as NodeJS.EventEmitter).once('exit', resolve)));
          return worker;
        },
        { size: 2 },
      ),
    );
    await expect(pool.ready).rejects.toBeInstanceOf(WorkerStartError);
    await expect(pool.ready).rejects.toMatchObject({ message: expect.stringMatching(/memory limit/) });
    // Both threads have exited: a pool that respawned on a start failure would have made another by now.
    await Promise.all(exits);
    expect(made).toBe(2);
  });

  test('resourceLimits with a worker factory is refused: the factory passes its own', () => {
    expect(() => createPool(() => new ThreadsWorker(fixture('faults.worker.ts')), { resourceLimits: { maxOldGenerationSizeMb: 64 } })).toThrow(
      /resourceLimits/,
    );
  });
});
