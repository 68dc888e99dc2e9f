/**
 * End to end in a real browser: the example page under examples/browser,
 * bundled with esbuild, served on 127.0.0.1, run in Debian's Chromium
 * (headless, through playwright-core). The same `poolMap` runs its requests
 * on Web Workers; the page keeps ticking while they run.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildExample } from '../examples/browser/build';
import { serveFolder, type StaticServer } from '../examples/browser/serve';
import type { RunSummary } from '../examples/browser/summary';
import { tasks } from '../examples/primes.worker';

const CHROMIUM = '/usr/bin/chromium';
const TOTAL = 120;
const WORKERS = 2;

let server: StaticServer | undefined;
let browser: Browser | undefined;
let page: Page;
let summary: RunSummary;
let statusText: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  server = await serveFolder(await buildExample());
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(`${server.url}?workers=${WORKERS}&total=${TOTAL}`);
  await page.waitForFunction(() => (globalThis as { runSummary?: RunSummary }).runSummary?.done === true, undefined, { timeout: 90_000 });
  summary = await page.evaluate(() => (globalThis as unknown as { runSummary: RunSummary }).runSummary);
  statusText = (await page.textContent('#status')) ?? '';
}, 120_000);

afterAll(async () => {
  // The page closes its own pool when its run is over; closing the browser ends its workers in any case.
  await browser?.close();
  await server?.close();
});

test('the run completes, with no page error', () => {
  expect(summary.failure).toBeUndefined();
  expect(summary.poolClosed).toBe(true);
  expect(pageErrors).toEqual([]);
  expect(summary.workers).toBe(WORKERS);
  expect(statusText).toMatch(/^done: \d+ results and \d+ errors/);
});

test('every request has exactly one outcome, and every result is right', () => {
  const ids = [...summary.results, ...summary.errors].map(({ id }) => id);
  expect(ids).toHaveLength(TOTAL);
  expect(new Set(ids).size).toBe(TOTAL);
  expect(summary.results.length).toBe(TOTAL - TOTAL / 10);
  for (const { limit, count } of summary.results) {
    // The Node demo's own countPrimes, run here on the main thread.
    expect({ limit, count }).toEqual({ limit, count: tasks.countPrimes(limit) });
  }
});

test('the failing requests arrive as TaskErrors carrying the worker error', () => {
  expect(summary.errors).toHaveLength(TOTAL / 10);
  for (const error of summary.errors) {
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
  expect(summary.mainScope).toBe('Window');
  expect(await page.evaluate('typeof WorkerGlobalScope')).toBe('undefined');
  for (const result of summary.results) {
    expect(result).toMatchObject({ scope: 'DedicatedWorkerGlobalScope', inWorker: true });
  }
  const used = new Set(summary.results.map((result) => result.worker));
  expect(used.size).toBeGreaterThan(1);
  expect(used.size).toBeLessThanOrEqual(WORKERS);
});

test('the page stayed responsive: its main-thread counter kept ticking during the run', async () => {
  // A 16 ms interval: allow for a busy machine, but a run on the main thread would tick (almost) never.
  expect(summary.elapsedMs).toBeGreaterThan(0);
  expect(summary.ticksDuringRun).toBeGreaterThanOrEqual(Math.max(10, Math.floor((summary.elapsedMs / 16) * 0.2)));
  expect(summary.maxGapMs).toBeLessThan(1000);
  expect(Number(await page.textContent('#ticks'))).toBeGreaterThanOrEqual(summary.ticksDuringRun);
});
