/**
 * End to end in a real browser: the example page under examples/browser,
 * bundled by esbuild, Vite and webpack 5 in turn, served on 127.0.0.1, run in
 * headless Chromium (through playwright-core). Each time the same `poolMap`
 * runs its requests on native module Web Workers
 * (`new Worker(new URL('./tasks.worker.js', import.meta.url), { type: 'module' })`,
 * which Vite and webpack bundle on their own); the page keeps ticking while
 * they run.
 *
 * Needs Chromium: CHROMIUM_PATH, else /usr/bin/chromium or one on PATH
 * (`apt-get install -y chromium`; .ci/run installs it). Without it, this
 * suite fails alone with that message (test/programs/environment.ts).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Bundler, bundlers, outdir } from '../examples/browser/build';
import { serveFolder, type StaticServer } from '../examples/browser/serve';
import type { RunSummary } from '../examples/browser/summary';
import { tasks } from '../examples/primes.worker';
import { chromiumPath } from './programs/programs';

const TOTAL = 120;
const WORKERS = 2;

/** One bundle's run of the page. */
interface Run {
  page: Page;
  summary: RunSummary;
  statusText: string;
  pageErrors: string[];
}

let browser: Browser | undefined;
const servers: StaticServer[] = [];
const runs = new Map<Bundler, Run>();

beforeAll(async () => {
  // Build all three first, each as `npm run example:browser` does (Vite 8 is an ES module, which jest's
  // module system cannot import), one bundler at a time: the machine has few cores.
  const repo = join(__dirname, '..');
  for (const bundler of bundlers) {
    await promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', join(repo, 'examples', 'browser', 'build.ts'), bundler], {
      cwd: repo,
    });
  }
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  for (const bundler of bundlers) {
    const server = await serveFolder(join(outdir, bundler));
    servers.push(server);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`${server.url}?workers=${WORKERS}&total=${TOTAL}`);
    await page.waitForFunction(() => (globalThis as { runSummary?: RunSummary }).runSummary?.done === true, undefined, { timeout: 90_000 });
    const summary = await page.evaluate(() => (globalThis as unknown as { runSummary: RunSummary }).runSummary);
    runs.set(bundler, { page, summary, statusText: (await page.textContent('#status')) ?? '', pageErrors });
  }
}, 240_000);

afterAll(async () => {
  // The page closes its own pool when its run is over; closing the browser ends its workers in any case.
  await browser?.close();
  await Promise.all(servers.map((server) => server.close()));
});

function runOf(bundler: Bundler): Run {
  const run = runs.get(bundler);
  if (!run) throw new Error(`the page built by ${bundler} did not run`);
  return run;
}

describe.each(bundlers)('the example built by %s', (bundler) => {
  test('the run completes, with no page error', () => {
    const run = runOf(bundler);
    expect(run.summary.failure).toBeUndefined();
    expect(run.summary.poolClosed).toBe(true);
    expect(run.pageErrors).toEqual([]);
    expect(run.summary.workers).toBe(WORKERS);
    expect(run.statusText).toMatch(/^done: \d+ results and \d+ errors/);
  });

  test('every request has exactly one outcome, and every result is right', () => {
    const run = runOf(bundler);
    const ids = [...run.summary.results, ...run.summary.errors].map(({ id }) => id);
    expect(ids).toHaveLength(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
    expect(run.summary.results.length).toBe(TOTAL - TOTAL / 10);
    for (const { limit, count } of run.summary.results) {
      // The Node demo's own countPrimes, run here on the main thread.
      expect({ limit, count }).toEqual({ limit, count: tasks.countPrimes(limit) });
    }
  });

  test('the failing requests arrive as TaskErrors carrying the worker error', () => {
    const run = runOf(bundler);
    expect(run.summary.errors).toHaveLength(TOTAL / 10);
    for (const error of run.summary.errors) {
      expect(Number.isInteger(error.limit) && error.limit >= 0).toBe(false);
      expect(error).toMatchObject({
        name: 'TaskError',
        code: 'ERR_TASK_FAILED',
        causeName: 'InvalidLimitError',
        causeCode: 'ERR_INVALID_LIMIT',
        causeMessage: `countPrimes needs a non-negative integer limit, got ${error.limit}`,
      });
      expect(error.message).toContain(`request ${error.id}`);
    }
  });

  test('the work ran in real Web Workers, more than one', async () => {
    const run = runOf(bundler);
    expect(run.summary.mainScope).toBe('Window');
    expect(await run.page.evaluate('typeof WorkerGlobalScope')).toBe('undefined');
    for (const result of run.summary.results) {
      expect(result).toMatchObject({ scope: 'DedicatedWorkerGlobalScope', inWorker: true });
    }
    const used = new Set(run.summary.results.map((result) => result.worker));
    expect(used.size).toBeGreaterThan(1);
    expect(used.size).toBeLessThanOrEqual(WORKERS);
  });

  test('the page stayed responsive: its main-thread counter kept ticking during the run', async () => {
    const run = runOf(bundler);
    // A 16 ms interval: allow for a busy machine, but a run on the main thread would tick (almost) never.
    // These are time bounds on purpose: a page that stays responsive while the work runs is what Web Workers
    // promise its user. The bounds are loose (a fifth of the ticks, no gap of a second) so that a loaded CI
    // machine meets them, while a run on the main thread (one gap as long as the run) does not.
    expect(run.summary.elapsedMs).toBeGreaterThan(0);
    expect(run.summary.ticksDuringRun).toBeGreaterThanOrEqual(Math.max(10, Math.floor((run.summary.elapsedMs / 16) * 0.2)));
    expect(run.summary.maxGapMs).toBeLessThan(1000);
    expect(Number(await run.page.textContent('#ticks'))).toBeGreaterThanOrEqual(run.summary.ticksDuringRun);
  });
});
