/**
 * The demo: a few thousand CPU-heavy requests through `poolMap` on one worker
 * per CPU, about 5% of them invalid on purpose, with a live progress line.
 * Then the same work runs serially on the main thread for comparison, and a
 * summary checks that every request had exactly one outcome.
 *
 * Run it with `npm run demo` (or `npm run demo | cat` for plain log lines).
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { from } from 'rxjs';
import { poolMap, splitOutcomes } from '../operators';
import { createPool, makeRequests, type Pool, PoolError, TaskError, type WorkRequest } from '../src';
import { InvalidLimitError, type Tasks, tasks } from './primes.worker';

const TOTAL = 3000;
/** One request in this many asks for an invalid limit: 5%. */
const INVALID_EVERY = 20;

/**
 * The limit of request `i`: 50 000-100 000 (2-4 ms of trial division each),
 * spread by a multiplicative hash so that slow and fast requests interleave.
 * Every 20th is invalid, alternately negative and fractional.
 */
function limitOf(i: number): number {
  const limit = 50_000 + ((i * 7919) % 50_000);
  if (i % INVALID_EVERY !== INVALID_EVERY - 1) return limit;
  return Math.floor(i / INVALID_EVERY) % 2 === 0 ? -limit : limit + 0.5;
}

// ---------------------------------------------------------------------------
// Progress output: one line rewritten in place on a terminal, a plain line
// every second otherwise (so that `npm run demo | cat` or a CI log stays readable).

const tty = process.stdout.isTTY === true;
const REFRESH_MS = tty ? 100 : 1000;

function show(line: string): void {
  // `\x1b[K` clears what is left of a longer previous line.
  if (tty) process.stdout.write(`\r${line}\x1b[K`);
  else process.stdout.write(`${line}\n`);
}

/** Ends the in-place line, so the next output starts on a fresh one. */
function endLine(): void {
  if (tty) process.stdout.write('\n');
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const rate = (count: number, ms: number): string => `${Math.round(count / (ms / 1000))} req/s`;
const ms = (value: number): string => (value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`);

// ---------------------------------------------------------------------------

/** What the pool run produced. */
interface PoolRun {
  readonly ms: number;
  readonly workers: number;
  /** Workers busy, averaged over the run (from `pool.stats$`). */
  readonly meanBusy: number;
  /** Request id → result, for requests that succeeded. */
  readonly results: Map<number, number>;
  /** Request id → how many outcomes (result or error) it had: must be 1. */
  readonly outcomesPerId: Map<number, number>;
  /** Ids of the requests that ended on the errors stream. */
  readonly errorIds: Set<number>;
  /** "code (worker error name: worker error code)" → count. */
  readonly errorKinds: Map<string, number>;
  readonly firstErrorMessage: string | undefined;
}

async function main(): Promise<void> {
  // `makeRequests` gives every request its id up front, so we can check afterwards that each one came out.
  const requests = makeRequests(Array.from({ length: TOTAL }, (_, i) => limitOf(i)));
  const invalidIds = new Set(requests.filter(({ args: [limit] }) => !Number.isInteger(limit) || limit < 0).map(({ id }) => id));

  // Absolute path to the .ts file: the pool's workers load it through ts-node.
  const pool = createPool<Tasks>(join(__dirname, 'primes.worker.ts'));
  let run: PoolRun;
  try {
    console.log(`rxjs-threadpool demo: ${TOTAL} countPrimes requests (${invalidIds.size} invalid on purpose) on ${pool.size} workers`);
    const startup = performance.now();
    // Not required (requests queue until workers are ready), but it keeps worker start-up out of the timing.
    await pool.ready;
    console.log(`workers ready in ${Math.round(performance.now() - startup)} ms`);
    run = await runOnPool(pool, requests);
  } finally {
    await pool.close();
  }

  const serial = runSerially(requests.map(({ id, args: [limit] }) => [id, limit] as const));

  // Checks: every id exactly once across the two streams, the right ones failed, and the pool computed what the main thread did.
  const requestIds = new Set(requests.map(({ id }) => id));
  const missing = [...requestIds].filter((id) => !run.outcomesPerId.has(id)).length;
  const repeated = [...run.outcomesPerId.values()].filter((count) => count > 1).length;
  const unknown = [...run.outcomesPerId.keys()].filter((id) => !requestIds.has(id)).length;
  const checks: [ok: boolean, text: string][] = [
    [
      missing === 0 && repeated === 0 && unknown === 0,
      `every request id seen exactly once across results$ and errors$ (${run.outcomesPerId.size} ids; missing ${missing}, repeated ${repeated}, unknown ${unknown})`,
    ],
    [sameSet(run.errorIds, invalidIds), `errors$ holds exactly the ${invalidIds.size} invalid requests`],
    [sameSet(run.errorIds, serial.errorIds), `the main thread rejected the same requests`],
    [
      run.results.size === serial.results.size && [...run.results].every(([id, value]) => serial.results.get(id) === value),
      `the pool's ${run.results.size} results equal the main thread's`,
    ],
  ];

  const pad = (label: string): string => `  ${label.padEnd(13)}`;
  console.log('\nSummary');
  console.log(`${pad('requests')}${TOTAL}`);
  console.log(`${pad('results')}${run.results.size}`);
  console.log(`${pad('errors')}${run.errorIds.size}`);
  for (const [kind, count] of run.errorKinds) console.log(`${pad('')}  ${kind} x ${count}`);
  if (run.firstErrorMessage) console.log(`${pad('')}  e.g. ${run.firstErrorMessage}`);
  console.log(`${pad('pool')}${seconds(run.ms)}  (${rate(TOTAL, run.ms)}, ${run.workers} workers, ${run.meanBusy.toFixed(2)} busy on average)`);
  console.log(`${pad('main thread')}${seconds(serial.ms)}  (${rate(TOTAL, serial.ms)})`);
  console.log(`${pad('speedup')}${(serial.ms / run.ms).toFixed(2)}x`);
  console.log('\nChecks');
  for (const [ok, text] of checks) console.log(`  ${ok ? 'ok    ' : 'FAILED'} ${text}`);
  if (checks.some(([ok]) => !ok)) process.exitCode = 1;
}

/** Runs every request on the pool, showing progress; resolves when both outcome streams have completed. */
function runOnPool(pool: Pool<Tasks>, requests: readonly WorkRequest<[limit: number]>[]): Promise<PoolRun> {
  const results = new Map<number, number>();
  const outcomesPerId = new Map<number, number>();
  const errorIds = new Set<number>();
  const errorKinds = new Map<string, number>();
  let firstErrorMessage: string | undefined;
  const count = (id: number): void => {
    outcomesPerId.set(id, (outcomesPerId.get(id) ?? 0) + 1);
  };

  const started = performance.now();
  // Time-weighted mean of busy workers: integrate `busy` over each interval between two stats.
  let busyMs = 0;
  let lastStats = { at: started, busy: pool.stats.busy };
  const statsSubscription = pool.stats$.subscribe(({ busy }) => {
    const at = performance.now();
    busyMs += lastStats.busy * (at - lastStats.at);
    lastStats = { at, busy };
  });

  const progress = (): void => {
    const elapsed = performance.now() - started;
    const done = results.size + errorIds.size;
    // wait, run and utilization are recorded because stats$ has a subscriber (above).
    const { busy, workers, queued, wait, run, utilization } = pool.stats;
    show(
      `pool  ${String(done).padStart(String(TOTAL).length)}/${TOTAL} done | ${results.size} results | ${errorIds.size} errors | ` +
        `${rate(done, elapsed)} | busy ${busy}/${workers} | queued ${queued} | ` +
        `wait p50 ${ms(wait.p50)} p99 ${ms(wait.p99)} | run p50 ${ms(run.p50)} p99 ${ms(run.p99)} | util ${Math.round(utilization * 100)}% | ${seconds(elapsed)}`,
    );
  };
  const ticker = setInterval(progress, REFRESH_MS);

  const { results$, errors$ } = splitOutcomes(from(requests).pipe(poolMap(pool, 'countPrimes')));

  return new Promise<PoolRun>((resolve, reject) => {
    let open = 2;
    const finish = (): void => {
      if (--open > 0) return;
      const elapsedMs = performance.now() - started;
      clearInterval(ticker);
      progress(); // while stats$ is still watched, so the line keeps its timing
      statsSubscription.unsubscribe();
      busyMs += lastStats.busy * (performance.now() - lastStats.at);
      endLine();
      resolve({ ms: elapsedMs, workers: pool.size, meanBusy: busyMs / elapsedMs, results, outcomesPerId, errorIds, errorKinds, firstErrorMessage });
    };
    const fail = (error: unknown): void => {
      clearInterval(ticker);
      statsSubscription.unsubscribe();
      endLine();
      reject(error);
    };

    // errors$ first: splitOutcomes reports failures to stderr while errors$ has no subscriber.
    errors$.subscribe({
      next: ({ request, error }) => {
        count(request.id);
        errorIds.add(request.id);
        firstErrorMessage ??= error.message;
        const kind = describe(error);
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
      },
      error: fail,
      complete: finish,
    });
    results$.subscribe({
      next: ({ request, value }) => {
        count(request.id);
        results.set(request.id, value);
      },
      error: fail,
      complete: finish,
    });
  });
}

/** "ERR_TASK_FAILED (InvalidLimitError: ERR_INVALID_LIMIT)": the pool's code, then the worker's error name and code. */
function describe(error: Error): string {
  if (error instanceof TaskError) {
    const { name, code } = error.cause;
    return `${error.code} (${name}${code === undefined ? '' : `: ${code}`})`;
  }
  return error instanceof PoolError ? error.code : error.name;
}

/** The same work on the main thread, one request after another: what the pool saves us. */
function runSerially(jobs: readonly (readonly [id: number, limit: number])[]): { ms: number; results: Map<number, number>; errorIds: Set<number> } {
  const results = new Map<number, number>();
  const errorIds = new Set<number>();
  const started = performance.now();
  // The loop blocks the event loop, so timers cannot fire: refresh the line from inside it.
  let shownAt = started;
  const progress = (done: number): void => {
    const elapsed = performance.now() - started;
    show(`main  ${String(done).padStart(String(TOTAL).length)}/${TOTAL} done | ${rate(done, elapsed)} | ${seconds(elapsed)}`);
  };
  for (const [i, [id, limit]] of jobs.entries()) {
    try {
      results.set(id, tasks.countPrimes(limit));
    } catch (error) {
      if (!(error instanceof InvalidLimitError)) throw error;
      errorIds.add(id);
    }
    if (performance.now() - shownAt >= REFRESH_MS) {
      shownAt = performance.now();
      progress(i + 1);
    }
  }
  const ms = performance.now() - started;
  progress(jobs.length);
  endLine();
  return { ms, results, errorIds };
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
