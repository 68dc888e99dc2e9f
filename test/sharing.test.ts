// Sharing one pool: pipelines take turns, so a flood from one does not starve another; priority lets a pipeline go first.
import { from, map, range } from 'rxjs';
import type { Pool } from '../src';
import { poolMap } from '../operators';
import type { FeatureTasks } from './fixtures/features.worker';
import { closePools, collect, featuresPool, statsWhere } from './helpers';

afterEach(closePools);

describe('sharing one pool', () => {
  /**
   * Runs a live pipeline (eight 20 ms requests, one after the other) next to an optional flood of 300 such
   * requests; returns, for each live request, how many flood requests ended while it was on its way (sent
   * to answered), and how many of the flood were left when the live pipeline was done. Latencies are
   * printed for the README's numbers, not asserted.
   */
  async function live(pool: Pool<FeatureTasks>, flood: boolean, priority = 0): Promise<{ overtaken: number[]; floodLeft: number; latencies: number[] }> {
    let floodDone = 0;
    const floodTotal = 300;
    const bulk = flood
      ? collect(
          range(0, floodTotal).pipe(
            map(() => 20),
            poolMap(pool, 'spin', { batch: 1 }),
            map(() => floodDone++),
          ),
        )
      : Promise.resolve([]);
    // The flood holds both workers and the rest of it waits in the queue.
    if (flood) await statsWhere(pool, (stats) => stats.busy === 2 && stats.queued > 200, 'the flood to fill both workers and the queue');
    const overtaken: number[] = [];
    const latencies: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = floodDone;
      const sent = performance.now();
      await collect(from([20]).pipe(poolMap(pool, 'spin', { priority })));
      latencies.push(performance.now() - sent);
      overtaken.push(floodDone - before);
    }
    const floodLeft = flood ? floodTotal - floodDone : floodTotal;
    await bulk;
    return { overtaken, floodLeft, latencies };
  }

  test('a flood from one pipeline does not starve another; priority lets the live one go first', async () => {
    const pool = featuresPool({ size: 2 });
    await pool.ready;
    const alone = await live(pool, false);
    const fair = await live(pool, true);
    const prioritized = await live(pool, true, 1);
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const report = ({ latencies }: { latencies: number[] }): string => `${median(latencies).toFixed(0)} / ${Math.max(...latencies).toFixed(0)}`;
    console.info(
      `live pipeline latency (ms), median / max: alone ${report(alone)}; beside a flood ${report(fair)}; with priority 1 ${report(prioritized)}; ` +
        `flood requests ended while a live one was on its way: ${fair.overtaken.join(' ')} (fair), ${prioritized.overtaken.join(' ')} (priority 1)`,
    );
    // Not starved: each live request waited for the requests the workers were running and at most a turn or
    // two of the flood (queued first, it would have waited for the ~290 flood requests ahead of it) …
    for (const count of [...fair.overtaken, ...prioritized.overtaken]) expect(count).toBeLessThanOrEqual(6);
    // … so every live request finished while most of the flood was still waiting.
    expect(fair.floodLeft).toBeGreaterThan(150);
    expect(prioritized.floodLeft).toBeGreaterThan(150);
  });
});
