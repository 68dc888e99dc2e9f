/**
 * The browser example: many CPU-heavy requests through `poolMap` on a pool of
 * Web Workers, a few of them invalid on purpose. Results and errors appear as
 * they arrive, while a counter on the main thread keeps ticking.
 *
 * Build and serve it with `npm run example:browser`. Query parameters:
 * `?workers=N` (pool size; default `navigator.hardwareConcurrency`) and
 * `?total=N` (requests; default 200). When a run is over, its summary is in
 * `window.runSummary` (the end-to-end test reads it).
 */
import { from } from 'rxjs';
import { poolMap, splitOutcomes } from '../../operators';
import { createPool, TaskError } from '../../src';
import type { RunSummary } from './summary';
import type { Tasks } from './tasks.worker';

const page = globalThis as unknown as { runSummary?: RunSummary };
const params = new URLSearchParams(location.search);
const workers = params.has('workers') ? Number(params.get('workers')) : undefined;
const total = params.has('total') ? Number(params.get('total')) : 200;

const element = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

// A main-thread heartbeat: if the work ran here, it would stop.
let ticks = 0;
let lastTick = performance.now();
let maxGap = 0;
setInterval(() => {
  const now = performance.now();
  maxGap = Math.max(maxGap, now - lastTick);
  lastTick = now;
  ticks++;
  element('ticks').textContent = String(ticks);
  element('gap').textContent = maxGap.toFixed(0);
}, 16);

/** Request `i`'s limit: 60 000-160 000 (a few ms to a few tens of ms each); every 10th is invalid. */
function limitOf(i: number): number {
  const limit = 60_000 + ((i * 7919) % 100_000);
  if (i % 10 !== 9) return limit;
  return Math.floor(i / 10) % 2 === 0 ? -limit : limit + 0.5;
}

function addItem(list: string, text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  element(list).append(item);
}

async function run(): Promise<void> {
  element('again').setAttribute('disabled', '');
  element('results').replaceChildren();
  element('errors').replaceChildren();
  // The factory runs once per worker: a native module worker, which Vite and webpack bundle from this very expression.
  const pool = createPool<Tasks>(
    () => new Worker(new URL('./tasks.worker.js', import.meta.url), { type: 'module' }),
    workers === undefined ? {} : { size: workers },
  );
  const summary: RunSummary = {
    done: false,
    total,
    workers: pool.size,
    mainScope: (globalThis as { constructor: { name: string } }).constructor.name,
    results: [],
    errors: [],
    elapsedMs: 0,
    ticksDuringRun: 0,
    maxGapMs: 0,
    poolClosed: false,
  };
  page.runSummary = summary;
  element('status').textContent = `starting ${pool.size} Web Workers…`;
  // Requests may be sent at once (they queue); waiting here makes the timing below the work's alone.
  // A worker that cannot start fails every request with WorkerStartError, which the errors list shows.
  await pool.ready.catch(() => undefined);
  element('status').textContent = `running ${total} requests on ${pool.size} Web Workers…`;
  const started = performance.now();
  const ticksBefore = ticks;
  maxGap = 0;
  lastTick = started;

  const { results$, errors$ } = splitOutcomes(from(Array.from({ length: total }, (_, i) => limitOf(i))).pipe(poolMap(pool, 'countPrimes')));
  errors$.subscribe(({ request, error }) => {
    const cause = error instanceof TaskError ? (error.cause as { name?: string; code?: string; message?: string } | undefined) : undefined;
    summary.errors.push({
      id: request.id,
      limit: request.args[0],
      name: error.name,
      code: (error as { code?: string }).code,
      message: error.message,
      causeName: cause?.name,
      causeCode: cause?.code,
      causeMessage: cause?.message,
    });
    element('error-count').textContent = String(summary.errors.length);
    addItem('errors', `#${request.id} countPrimes(${request.args[0]}): ${cause?.name ?? error.name}: ${cause?.message ?? error.message}`);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      results$.subscribe({
        next: ({ request, value }) => {
          summary.results.push({ id: request.id, limit: request.args[0], ...value });
          element('result-count').textContent = String(summary.results.length);
          addItem('results', `#${request.id} countPrimes(${request.args[0]}) = ${value.count} (${value.scope} ${value.worker})`);
        },
        error: reject,
        complete: resolve,
      });
    });
  } catch (error) {
    summary.failure = String(error);
  } finally {
    summary.elapsedMs = performance.now() - started;
    summary.ticksDuringRun = ticks - ticksBefore;
    summary.maxGapMs = maxGap;
    await pool.close();
    summary.poolClosed = true;
  }
  const usedWorkers = new Set(summary.results.map((result) => result.worker)).size;
  element('status').textContent = summary.failure
    ? `failed: ${summary.failure}`
    : `done: ${summary.results.length} results and ${summary.errors.length} errors in ${summary.elapsedMs.toFixed(0)} ms, on ${usedWorkers} workers; ` +
      `the main thread ticked ${summary.ticksDuringRun} times meanwhile (longest pause ${summary.maxGapMs.toFixed(0)} ms)`;
  summary.done = true;
  element('again').removeAttribute('disabled');
}

element('again').addEventListener('click', () => void run());
void run();
