/**
 * The demo: a few thousand CPU-heavy requests through `poolMap` on every
 * core, a share failing on purpose, with a live progress line, then the same
 * work on the main thread for comparison.
 *
 * Run it with `npm run demo`.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { lastValueFrom, map, merge, range, tap } from 'rxjs';
import { createPool } from '../src';
import { poolMap, splitOutcomes } from '../operators';
import { type Tasks, tasks } from './primes.worker';

const total = 3000;
/** Every 20th request asks for an invalid limit, so 5% fail. */
const limitOf = (i: number): number => (i % 20 === 19 ? -i : 40_000 + (i % 50) * 1_000);

function line(text: string): void {
  if (process.stdout.isTTY) process.stdout.write(`\r${text.padEnd(100)}`);
  else console.log(text);
}

async function main(): Promise<void> {
  const pool = createPool<Tasks>(join(__dirname, 'primes.worker.ts'));
  console.log(`rxjs-threadpool demo: ${total} requests of countPrimes on ${pool.size} workers (${availableParallelism()} CPUs)`);
  await pool.ready;

  const seen = new Map<number, 'result' | 'error'>();
  const errorCodes = new Map<string, number>();
  let resultsCount = 0;
  let errorsCount = 0;
  const started = performance.now();
  const progress = (): string => {
    const seconds = (performance.now() - started) / 1000;
    const done = resultsCount + errorsCount;
    return `${done}/${total} done · ${resultsCount} results · ${errorsCount} errors · ${Math.round(done / seconds)} req/s · busy ${pool.stats.busy}/${pool.stats.workers}`;
  };
  const ticker = setInterval(() => line(progress()), process.stdout.isTTY ? 100 : 1000);

  const { results$, errors$ } = splitOutcomes(range(0, total).pipe(map(limitOf), poolMap(pool, 'countPrimes')));
  const record = (id: number, kind: 'result' | 'error'): void => {
    if (seen.has(id)) throw new Error(`request ${id} had two outcomes`);
    seen.set(id, kind);
  };
  await lastValueFrom(
    merge(
      errors$.pipe(
        tap(({ request, error }) => {
          errorsCount++;
          record(request.id, 'error');
          const name = error.cause instanceof Error ? `${error.cause.name}` : error.name;
          const key = `${(error as Error & { code?: string }).code} (${name})`;
          errorCodes.set(key, (errorCodes.get(key) ?? 0) + 1);
        }),
      ),
      results$.pipe(
        tap(({ request }) => {
          resultsCount++;
          record(request.id, 'result');
        }),
      ),
    ),
    { defaultValue: undefined },
  );
  const poolMs = performance.now() - started;
  const workers = pool.size;
  clearInterval(ticker);
  line(progress());
  if (process.stdout.isTTY) process.stdout.write('\n');
  await pool.close();

  // The same work on the main thread: exposeTasks returns the task functions unchanged there.
  const serialStart = performance.now();
  for (let i = 0; i < total; i++) {
    try {
      tasks.countPrimes(limitOf(i));
    } catch {
      // the same 5% fail here too
    }
  }
  const serialMs = performance.now() - serialStart;

  console.log('');
  console.log(`results: ${resultsCount}   errors: ${errorsCount}`);
  for (const [key, count] of errorCodes) console.log(`  ${key} × ${count}`);
  console.log(`every request id seen exactly once across the two streams: ${seen.size === total ? 'yes' : `NO (${seen.size} of ${total})`}`);
  console.log(`pool of ${workers} workers: ${(poolMs / 1000).toFixed(2)} s   main thread: ${(serialMs / 1000).toFixed(2)} s   speedup ×${(serialMs / poolMs).toFixed(2)}`);
  if (seen.size !== total) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
