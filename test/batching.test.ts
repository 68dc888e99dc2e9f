// batch: requests travel to a worker in batches ('auto', or at most n), and each still yields its own outcome.
import { map, range } from 'rxjs';
import { poolMap } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

describe('batching on real workers', () => {
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
});
