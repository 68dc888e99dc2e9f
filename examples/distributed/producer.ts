/**
 * The distributed example's producer: the same `poolMap` pipeline as on
 * threads, on a BullMQ queue that worker hosts serve.
 *
 *   npm run example:distributed -- redis://127.0.0.1:6379 primes [count]
 *
 * Prints the results and errors counts, the first few errors, and the time.
 */
import { range, map, lastValueFrom, merge, toArray } from 'rxjs';
import { createQueuePool } from '../../src/bullmq';
import { poolMap, splitOutcomes } from '../../operators';
import type { Tasks } from '../primes.worker';

async function main(): Promise<void> {
  const [url = 'redis://127.0.0.1:6379', queue = 'primes', countText = '2000'] = process.argv.slice(2);
  const count = Number(countText);
  const pool = createQueuePool<Tasks>({ connection: url, queue });
  try {
    await pool.ready;
    const started = performance.now();
    const outcome$ = range(0, count).pipe(
      map((i) => (i % 100 === 99 ? -1 : 20_000 + i)), // a few invalid on purpose
      poolMap(pool, 'countPrimes'),
    );
    const { results$, errors$ } = splitOutcomes(outcome$);
    const outcomes = await lastValueFrom(merge(results$, errors$).pipe(toArray()));
    const errors = outcomes.filter((outcome) => !outcome.ok);
    for (const failure of errors.slice(0, 3)) if (!failure.ok) console.error(`request ${failure.request.id}: ${failure.error.message}`);
    console.log(`${outcomes.length - errors.length} results, ${errors.length} errors in ${Math.round(performance.now() - started)} ms`);
  } finally {
    await pool.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
