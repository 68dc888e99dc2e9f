/**
 * One point of the scaling benchmark in a process of its own (so peak RSS is
 * the point's own): `node --expose-gc dist/bench/scalingCase.js '<json>'`
 * prints one JSON line, a {@link PointOutput}. Driven by scaling.ts.
 *
 * Every point warms its system up, then repeats the measured part until it
 * has run for `minMs` (at least once), and reports the median rate over the
 * repetitions and the main thread's CPU over all of them. The main thread's
 * CPU is its own (Linux: `/proc/self/task/<pid>/schedstat`), not the
 * process's, which would count the worker threads too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { from, Subject } from 'rxjs';
import { createPool, type Pool } from '../src';
import { poolMap } from '../operators';
import { median } from './measure';
import { burn, inc, sum } from './tasks';
import type { Tasks } from './workers/ours.worker';

/** The series of the scaling benchmark, each a sweep of one variable. */
export type ScalingSeries = 'requests' | 'payload' | 'pipelines' | 'taskTime' | 'poolSize';

/** The systems the scaling benchmark compares (the same configurations as systems.ts). */
export const scalingSystems = ['rxjs-threadpool', 'rxjs-threadpool batch:1', 'piscina best', 'main thread'] as const;
export type ScalingSystem = (typeof scalingSystems)[number];

/** What one point measures. */
export interface PointInput {
  readonly series: ScalingSeries;
  readonly system: ScalingSystem;
  /**
   * The swept value: requests (`requests`), bytes per request (`payload`),
   * concurrent pipelines (`pipelines`), µs per task (`taskTime`), pool size (`poolSize`).
   */
  readonly x: number;
  /** Pool size (except in `poolSize`, where it is `x`). */
  readonly size: number;
  /** burn() iterations per ms of work on this machine. */
  readonly burnPerMs: number;
  /** The measured part is repeated until it has run this long. */
  readonly minMs: number;
  /** `pipelines`: requests in all, split among the pipelines. */
  readonly pipelineTotal: number;
  /** `taskTime`, `poolSize`: ms of work in all (run serially, the main thread's time). */
  readonly workMs: number;
  /** `poolSize`: µs per task. */
  readonly poolSizeTaskUs: number;
}

/** One point's result. */
export interface PointOutput {
  readonly metrics: Record<string, number>;
  /** The process's peak RSS at the end of the measured part (before the memory probe, if any), MB (2²⁰ bytes). */
  readonly peakRssMB: number;
  readonly reps: number;
  /** The whole process's CPU time (every thread), s: for the driver's estimate of the rest of the machine's load. */
  readonly processCpuSeconds: number;
  /** Which clock the main-thread CPU figures came from. */
  readonly cpuClock: 'schedstat' | 'process.cpuUsage';
}

type Op = 'inc' | 'burn' | 'sum';
type Input = number | Float64Array;

/** A system as the scaling points drive it. */
interface Runner {
  ready(): Promise<void>;
  /** One pipeline: every input submitted at once (a synchronous source), resolved when all are done. */
  all(op: Op, inputs: readonly Input[]): Promise<void>;
  /** Every input handed to the system's own queue at once; `queued()` runs (synchronously) right after the last. */
  queueAll(op: Op, inputs: readonly Input[], queued: () => void): Promise<void>;
  /** One pipeline (or caller) per share, all concurrent. */
  pipelines(op: Op, shares: readonly (readonly Input[])[]): Promise<void>;
}

const MiB = 2 ** 20;
const workers = join(__dirname, 'workers');

const schedstat = `/proc/self/task/${process.pid}/schedstat`;
const cpuClock: PointOutput['cpuClock'] = existsSync(schedstat) ? 'schedstat' : 'process.cpuUsage';
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * The main thread's CPU time so far, ns. The kernel brings a running
 * thread's figure up to date only at a tick or when the thread sleeps, so
 * this first sleeps 1 ms (Atomics.wait) to make it exact to ~0.1 ms. Without
 * /proc it falls back to process.cpuUsage(), which counts every thread.
 */
function mainThreadCpuNs(): number {
  if (cpuClock === 'process.cpuUsage') {
    const { user, system } = process.cpuUsage();
    return (user + system) * 1000;
  }
  Atomics.wait(pause, 0, 0, 1);
  return Number(readFileSync(schedstat, 'utf8').split(' ')[0]);
}

/** Keeps at most `window` calls outstanding (piscina's best unbatched configuration, as in systems.ts). */
async function windowed(inputs: readonly Input[], window: number, run: (input: Input) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(window, inputs.length) }, async () => {
    while (next < inputs.length) await run(inputs[next++]);
  });
  await Promise.all(lanes);
}

function ours(size: number, batch: 'auto' | 1): Runner {
  const pool: Pool<Tasks> = createPool<Tasks>(join(workers, 'ours.worker.js'), { size });
  // 'auto' is poolMap's default: no options at all.
  const options = batch === 1 ? { batch: 1 } : {};
  const pipeline = (op: Op, inputs: readonly Input[], queued?: () => void): Promise<void> =>
    new Promise((resolve, reject) => {
      const source = new Subject<never>();
      // One pipeline for any op: the per-op types are checked in the library's own tests.
      source.pipe(poolMap(pool, op, options as never)).subscribe({
        next: (outcome) => {
          if (outcome.ok === false) reject(outcome.error);
        },
        error: reject,
        complete: resolve,
      });
      for (const input of inputs) source.next(input as never);
      queued?.();
      source.complete();
    });
  return {
    ready: () => pool.ready,
    all: (op, inputs) => pipeline(op, inputs),
    queueAll: pipeline,
    pipelines: (op, shares) =>
      Promise.all(
        shares.map(
          (share) =>
            new Promise<void>((resolve, reject) => {
              from(share as never[])
                .pipe(poolMap(pool, op, options as never))
                .subscribe({
                  next: (outcome) => {
                    if (outcome.ok === false) reject(outcome.error);
                  },
                  error: reject,
                  complete: resolve,
                });
            }),
        ),
      ).then(() => undefined),
  };
}

async function piscinaBest(size: number): Promise<Runner> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: join(workers, 'piscina.worker.js'), minThreads: size, maxThreads: size, concurrentTasksPerWorker: 8 });
  const run = (op: Op, x: Input): Promise<unknown> => pool.run({ op, x });
  return {
    ready: () => run('inc', 0).then(() => undefined),
    all: (op, inputs) => windowed(inputs, 64, (x) => run(op, x)),
    queueAll(op, inputs, queued) {
      const calls = inputs.map((x) => run(op, x));
      queued();
      return Promise.all(calls).then(() => undefined);
    },
    // N callers, each in piscina's best configuration (64 outstanding).
    pipelines: (op, shares) => Promise.all(shares.map((share) => windowed(share, 64, (x) => run(op, x)))).then(() => undefined),
  };
}

function mainThread(): Runner {
  const fns = { inc, burn, sum } as Record<Op, (x: never) => number>;
  const all = (op: Op, inputs: readonly Input[]): Promise<void> => {
    const fn = fns[op];
    let sink = 0;
    for (const input of inputs) sink += fn(input as never);
    if (Number.isNaN(sink)) throw new Error('unreachable');
    return Promise.resolve();
  };
  return {
    ready: () => Promise.resolve(),
    all,
    queueAll: () => Promise.reject(new Error('the main thread queues nothing')),
    pipelines: (op, shares) => all(op, shares.flat()),
  };
}

async function createRunner(system: ScalingSystem, size: number): Promise<Runner> {
  switch (system) {
    case 'rxjs-threadpool':
      return ours(size, 'auto');
    case 'rxjs-threadpool batch:1':
      return ours(size, 1);
    case 'piscina best':
      return piscinaBest(size);
    case 'main thread':
      return mainThread();
  }
}

interface Repeated {
  /** Units (requests, or bytes) per second: the median over the repetitions. */
  readonly perSecond: number;
  /** The main thread's CPU per unit over all repetitions, ns. */
  readonly cpuNsPerUnit: number;
  readonly reps: number;
}

/** Runs `once` (which does `units` of work) until `minMs` have passed, at least once and at most `maxReps` times. */
async function repeat(minMs: number, units: number, once: () => Promise<void>, maxReps = 2000): Promise<Repeated> {
  const rates: number[] = [];
  let spentMs = 0;
  // One CPU reading around all repetitions: each reading sleeps 1 ms.
  const cpuBefore = mainThreadCpuNs();
  while (rates.length === 0 || (spentMs < minMs && rates.length < maxReps)) {
    const start = performance.now();
    await once();
    const ms = performance.now() - start;
    spentMs += ms;
    rates.push(units / (ms / 1000));
  }
  const cpuNs = mainThreadCpuNs() - cpuBefore;
  return { perSecond: median(rates), cpuNsPerUnit: cpuNs / (units * rates.length), reps: rates.length };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const peakRssMB = (): number => process.resourceUsage().maxRSS / 1024;

/** V8 heap plus external memory after a full collection, bytes. */
function retainedBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** A point's result before the process's own CPU time is added. */
type Measured = Omit<PointOutput, 'processCpuSeconds'>;

async function measure(input: PointInput): Promise<Measured> {
  const size = input.series === 'poolSize' ? input.x : input.size;
  const runner = await createRunner(input.system, size);
  await runner.ready();
  await runner.all('inc', range(1000));
  const done = (metrics: Record<string, number>, reps: number): Measured => ({ metrics, peakRssMB: peakRssMB(), reps, cpuClock });
  switch (input.series) {
    case 'requests': {
      const n = input.x;
      const inputs = range(n);
      const r = await repeat(input.minMs, n, () => runner.all('inc', inputs));
      const output = done({ requestsPerSecond: r.perSecond, mainCpuUsPerRequest: r.cpuNsPerUnit / 1000 }, r.reps);
      if (input.system === 'main thread') return output;
      // All n submitted at once and none yet returned (no event-loop turn in between): what is retained per queued request.
      const before = retainedBytes();
      let after = 0;
      void runner.queueAll('inc', inputs, () => (after = retainedBytes())).catch(() => undefined);
      return { ...output, metrics: { ...output.metrics, queuedBytes: after - before, bytesPerQueuedRequest: (after - before) / n } };
    }
    case 'payload': {
      const bytes = input.x;
      // Distinct arrays (enough that no batch holds one twice: a message clones a repeated object once).
      const distinct = Math.min(65_536, Math.max(4, Math.ceil((64 * MiB) / bytes)));
      const ring = Array.from({ length: distinct }, () => new Float64Array(bytes / 8).fill(1));
      const inputsOf = (n: number): Float64Array[] => Array.from({ length: n }, (_, i) => ring[i % distinct]);
      await runner.all('sum', inputsOf(Math.min(distinct, 64)));
      // A probe sizes each repetition to about a quarter of minMs.
      const probe = inputsOf(Math.max(4, Math.min(20_000, Math.ceil((16 * MiB) / bytes))));
      const start = performance.now();
      await runner.all('sum', probe);
      const perMs = probe.length / Math.max(0.05, performance.now() - start);
      const n = Math.max(4, Math.min(1_000_000, Math.round((perMs * input.minMs) / 4)));
      const inputs = inputsOf(n);
      const r = await repeat(input.minMs, n * bytes, () => runner.all('sum', inputs));
      // cpuNsPerUnit is per byte: ×2²⁰ ns per MB, /1e6 → ms per MB.
      return done({ megabytesPerSecond: r.perSecond / MiB, mainCpuMsPerMB: (r.cpuNsPerUnit * MiB) / 1e6, requests: n }, r.reps);
    }
    case 'pipelines': {
      const count = input.x;
      const shares = Array.from({ length: count }, (): number[] => []);
      for (let i = 0; i < input.pipelineTotal; i++) shares[i % count].push(i);
      const r = await repeat(input.minMs, input.pipelineTotal, () => runner.pipelines('inc', shares));
      return done({ requestsPerSecond: r.perSecond, mainCpuUsPerRequest: r.cpuNsPerUnit / 1000 }, r.reps);
    }
    case 'taskTime':
    case 'poolSize': {
      const us = input.series === 'taskTime' ? input.x : input.poolSizeTaskUs;
      const iterations = Math.max(1, Math.round((input.burnPerMs * us) / 1000));
      const n = Math.max(4 * size, Math.round((input.workMs * 1000) / us));
      await runner.all('burn', new Array<number>(Math.min(n, Math.max(4 * size, Math.round(50_000 / us)))).fill(iterations));
      const inputs = new Array<number>(n).fill(iterations);
      const r = await repeat(input.minMs, n, () => runner.all('burn', inputs));
      return done({ requestsPerSecond: r.perSecond, mainCpuUsPerRequest: r.cpuNsPerUnit / 1000, requests: n, burnIterations: iterations }, r.reps);
    }
  }
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as PointInput;
  const output = await measure(input);
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ ...output, processCpuSeconds: (user + system) / 1e6 })}\n`);
  // Leaves without closing: the memory probe left requests queued, and a fresh process per point needs no tidy pool.
  process.exit(0);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
