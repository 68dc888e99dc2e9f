/**
 * Soak: 1,000,000 requests (1% failing, 100 that kill their worker) through
 * a pool of 2, pulled lazily, printing heap and RSS as it goes. Memory must
 * stay flat. Not part of the test suite: `npm run soak`.
 *
 * A worker-killing request is rerun once (the default `rerunOnCrash`), so it
 * kills two workers: 200 worker replacements in all.
 */
import { join } from 'node:path';
import { createPool, WorkerCrashedError, workRequest } from '../src';
import { poolMap, pullFrom } from '../operators';
import type { Tasks } from './workers/soak.worker';

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 1_000_000);
const CRASHES = 100;
const crashEvery = Math.floor(TOTAL / CRASHES);

function* requests(): Generator<ReturnType<typeof workRequest<[number, 0 | 1 | 2]>>> {
  for (let n = 0; n < TOTAL; n++) {
    const kind = n % crashEvery === crashEvery / 2 ? 2 : n % 100 === 7 ? 1 : 0;
    yield workRequest([n, kind] as [number, 0 | 1 | 2]);
  }
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

function sample(label: string): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  console.log(`${label.padEnd(18)} heap ${mb(heapUsed).padStart(6)} MB   rss ${mb(rss).padStart(6)} MB`);
  return { heap: heapUsed, rss };
}

async function main(): Promise<void> {
  if (!(globalThis as { gc?: unknown }).gc) console.log('(run with node --expose-gc for steadier heap figures)');
  const pool = createPool<Tasks>(join(__dirname, 'workers', 'soak.worker.js'), { size: 2 });
  await pool.ready;
  const started = performance.now();
  let done = 0;
  let failed = 0;
  let crashed = 0;
  const samples: { heap: number; rss: number }[] = [];
  samples.push(sample('start'));
  const every = TOTAL / 10;
  await new Promise<void>((resolve, reject) => {
    pullFrom(requests())
      .pipe(poolMap(pool, 'step', { queue: { size: 10_000 } }))
      .subscribe({
        next: (outcome) => {
          done++;
          if (!outcome.ok) {
            failed++;
            if (outcome.error instanceof WorkerCrashedError) crashed++;
          }
          if (done % every === 0) samples.push(sample(`${done.toLocaleString('en')} done`));
        },
        error: reject,
        complete: resolve,
      });
  });
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  const end = sample('after close');
  const warm = samples[1] ?? samples[0];
  const last = samples[samples.length - 1];
  console.log(
    `\n${done.toLocaleString('en')} outcomes in ${seconds.toFixed(1)} s (${Math.round(done / seconds).toLocaleString('en')}/s); ` +
      `${failed.toLocaleString('en')} failed, of which ${crashed} crashed their worker twice (rerun once); ` +
      `${crashed * 2} workers replaced.`,
  );
  console.log(
    `heap from the first tenth to the last: ${mb(warm.heap)} → ${mb(last.heap)} MB (${mb(last.heap - warm.heap)} MB); ` +
      `rss ${mb(warm.rss)} → ${mb(last.rss)} MB (${mb(last.rss - warm.rss)} MB); after close: heap ${mb(end.heap)} MB.`,
  );
  if (done !== TOTAL) throw new Error(`expected ${TOTAL} outcomes, got ${done}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
