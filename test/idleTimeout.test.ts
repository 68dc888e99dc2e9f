// idleTimeout: a worker idle that long exits (after its teardown); the pool counts it no more, and the next request starts a fresh thread.
import { rmSync } from 'node:fs';
import { from } from 'rxjs';
import { workRequest } from '../src';
import { poolMap, results } from '../operators';
import { logFile } from './fixtures/features.worker';
import { afterTimersDueWithin, closePools, collect, featuresPool, waitFor, logLines } from './helpers';

afterEach(closePools);

describe('idleTimeout', () => {
  const clean = (): void => rmSync(logFile(), { force: true });
  beforeEach(clean);
  afterEach(clean);
  const lines = (): string[] => logLines(logFile());

  test('an idle worker exits after idleTimeout, tearing down first; it is no longer counted, and the next request starts a fresh thread', async () => {
    const idleTimeout = 1000;
    const pool = featuresPool({ size: 1, idleTimeout });
    const threadId = async (): Promise<number> => (await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results())))[0].value;
    const first = await threadId();
    // Back to back, well within idleTimeout: the same worker serves both.
    expect(await threadId()).toBe(first);
    // The worker's idle timer was set when it went idle, before this: it has run by then.
    await afterTimersDueWithin(idleTimeout);
    // Live workers only: none until work comes (a fixed size with idleTimeout may shrink to none).
    expect(pool.size).toBe(0);
    expect(pool.stats.workers).toBe(0);
    // The teardown runs in the worker as it leaves, and writes to the log: no event tells the test when.
    await waitFor(() => lines().includes(`teardown ${first}`), "the idle worker's teardown");
    const second = await threadId();
    expect(second).not.toBe(first);
    expect(lines().filter((line) => line.startsWith('setup'))).toEqual([`setup ${first}`, `setup ${second}`]);
  });
});
