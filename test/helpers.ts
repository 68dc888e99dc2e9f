/**
 * What the real-worker tests share: pools on the fixture workers (closed by
 * `closePools()` after each test), and waits on events.
 *
 * Waits: a test waits for something the library tells it (an outcome, a
 * `stats$` snapshot, a worker's exit, a promise it controls), never for a
 * guessed number of milliseconds. `statsWhere` and `nextStats` wait on
 * `stats$`; `waitFor` polls a condition the library gives no event for. Each
 * fails after a bound well below Jest's timeout (30 s) with a message naming
 * what it waited for, so a broken promise fails the test instead of hanging it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmptyError, filter, firstValueFrom, lastValueFrom, type Observable, skip, tap, throwError, timeout, toArray } from 'rxjs';
import { createPool, type Pool, type PoolOptions, type PoolStats, type TaskMap } from '../src';
import type { FaultTasks } from './fixtures/faults.worker';
import type { FeatureTasks } from './fixtures/features.worker';
import type { GateTasks } from './fixtures/gate.worker';
import type { KeyedTasks } from './fixtures/keyed.worker';
import type { StreamTasks } from './fixtures/streams.worker';
import type { Tasks } from './fixtures/tasks.worker';

/** Absolute path of a fixture worker. */
/** The runtimes a pool's workers may be: the suites of the pool's core promises run on each. */
export const runtimes = ['thread', 'process'] as const;

export function fixture(name: string): string {
  return join(__dirname, 'fixtures', name);
}

const open = new Set<Pool<TaskMap>>();

/** A pool on the tasks fixture, closed by `closePools()` after each test. */
export function tasksPool(options?: PoolOptions): Pool<Tasks> {
  return track(createPool<Tasks>(fixture('tasks.worker.ts'), options));
}

/** A pool on the faults fixture (workers that misbehave on request), closed by `closePools()`. */
export function faultsPool(options?: PoolOptions): Pool<FaultTasks> {
  return track(createPool<FaultTasks>(fixture('faults.worker.ts'), options));
}

/** A pool on the features fixture (progress, setup and teardown, recycling), closed by `closePools()`. */
export function featuresPool(options?: PoolOptions): Pool<FeatureTasks> {
  return track(createPool<FeatureTasks>(fixture('features.worker.ts'), options));
}

/** A pool on the gate fixture (tasks that wait for the test to open a gate), closed by `closePools()`. */
export function gatePool(options?: PoolOptions): Pool<GateTasks> {
  return track(createPool<GateTasks>(fixture('gate.worker.ts'), options));
}

/** A pool on the keyed fixture (per-key state, the thread of each request, released keys), closed by `closePools()`. */
export function keyedPool(options?: PoolOptions): Pool<KeyedTasks> {
  return track(createPool<KeyedTasks>(fixture('keyed.worker.ts'), options));
}

/** A pool on the streams fixture (stream tasks for poolPipe), closed by `closePools()`. */
export function streamsPool(options?: PoolOptions): Pool<StreamTasks> {
  return track(createPool<StreamTasks>(fixture('streams.worker.ts'), options));
}

/** Registers a pool for `closePools()`. */
export function track<T extends TaskMap>(pool: Pool<T>): Pool<T> {
  open.add(pool as unknown as Pool<TaskMap>);
  return pool;
}

/** Closes every pool a test opened. Call it in `afterEach`. */
export async function closePools(): Promise<void> {
  const pools = [...open];
  open.clear();
  await Promise.all(pools.map((pool) => pool.close()));
}

/** Every value of a finite stream. */
export function collect<T>(source: Observable<T>): Promise<T[]> {
  return lastValueFrom(source.pipe(toArray()));
}

/** How long a wait may take before it fails: well below Jest's 30 s, well above anything a loaded machine needs. */
export interface WaitOptions {
  /** The bound, in ms (default 10 s). */
  readonly within?: number;
}

const WITHIN = 10_000;

const summary = (stats: PoolStats | undefined): string =>
  stats ? JSON.stringify({ workers: stats.workers, busy: stats.busy, queued: stats.queued, completed: stats.completed, failed: stats.failed }) : 'none';

/** `source`'s first value, or an error naming `what` after `within` ms, or when it completes first. */
function firstOf(source: Observable<PoolStats>, what: string, within: number): Promise<PoolStats> {
  let last: PoolStats | undefined;
  return firstValueFrom(
    source.pipe(
      tap({ next: (stats) => void (last = stats) }),
      timeout({ first: within, with: () => throwError(() => new Error(`waited ${within} ms for ${what}; the pool's last stats: ${summary(last)}`)) }),
    ),
  ).catch((error: unknown) => {
    throw error instanceof EmptyError ? new Error(`the pool closed before ${what}; its last stats: ${summary(last)}`) : error;
  });
}

/**
 * The first `stats$` snapshot for which `holds` is true: the current one if
 * it already is, else the first one the pool publishes (it publishes after
 * every change). Rejects naming `what` after `within` ms, or when the pool
 * closes first. (Watching `stats$` turns on the pool's timing records.)
 */
export function statsWhere(pool: Pool<TaskMap>, holds: (stats: PoolStats) => boolean, what: string, { within = WITHIN }: WaitOptions = {}): Promise<PoolStats> {
  return firstOf(pool.stats$.pipe(filter(holds)), what, within);
}

/** The next snapshot the pool publishes (not the current one): the next change of its state, named `what`. */
export function nextStats(pool: Pool<TaskMap>, what: string, { within = WITHIN }: WaitOptions = {}): Promise<PoolStats> {
  return firstOf(pool.stats$.pipe(skip(1)), what, within);
}

/**
 * Resolves once `condition` holds, checking it every `every` ms; rejects
 * naming `what` after `within` ms. Only for a state the library publishes no
 * event for (a job count in Redis, which thread serves the next request).
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { within = WITHIN, every = 10 }: WaitOptions & { readonly every?: number } = {},
): Promise<void> {
  const deadline = performance.now() + within;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`waited ${within} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/**
 * Resolves after every timer of this thread that is due within `ms` from now
 * has run: Node runs timers in the order they fall due, so one set now for
 * `ms` runs after them, however loaded the machine. For waiting on one of
 * the pool's own timers (its `idleTimeout`), never on another thread's work.
 */
export function afterTimersDueWithin(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A closed gate for the tasks of test/fixtures/gate.worker.ts: an Int32Array on a SharedArrayBuffer. */
export function newGate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Opens a gate: every task waiting on it goes on. */
export function openGate(gate: Int32Array): void {
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
}

/** The non-empty lines a fixture logged to `file`; none while the file does not exist. */
export function logLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
