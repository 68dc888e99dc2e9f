/**
 * One adapter per system under test, all driven the same way: run a list of
 * calls and resolve when every one has its result, or stream calls in and
 * report each one's completion.
 */
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { createPool, type Pool } from '../src';
import { poolMap } from '../operators';
import { burn, type Call, inc, sum } from './tasks';
import type { Tasks } from './workers/ours.worker';

export type Op = Call['op'];

/** A pool under test. */
export interface System {
  /** Resolves when the pool can take work. */
  ready(): Promise<void>;
  /** Runs `op` on every input; resolves when all are done. `transfer` moves Float64Array inputs. */
  runAll(op: Op, inputs: readonly (number | Float64Array)[], transfer: boolean): Promise<void>;
  /** Opens a stream of `op` calls; `done(i)` is called when input `i` is done. */
  stream(op: Op, done: (i: number) => void): { push(i: number): void; end(): Promise<void> };
  close(): Promise<void>;
}

const workers = join(__dirname, 'workers');

/** Keeps at most `window` promises outstanding while running `inputs` (for peers in their best configuration). */
async function windowed<T>(inputs: readonly T[], window: number, run: (input: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(window, inputs.length) }, async () => {
    while (next < inputs.length) await run(inputs[next++]);
  });
  await Promise.all(lanes);
}

function ours(size: number, batch: 'auto' | 1): System {
  const pool: Pool<Tasks> = createPool<Tasks>(join(workers, 'ours.worker.js'), { size });
  return {
    ready: () => pool.ready,
    runAll(op, inputs, transfer) {
      return new Promise((resolve, reject) => {
        const options = { batch, ...(transfer ? { transfer: (values: Float64Array) => [values.buffer] } : {}) };
        // One pipeline for any op: the per-op types are checked in the library's own tests.
        const source = new Subject<never>();
        source.pipe(poolMap(pool, op, options as never)).subscribe({
          next: (outcome) => {
            if (outcome.ok === false) reject(outcome.error);
          },
          error: reject,
          complete: resolve,
        });
        for (const input of inputs) source.next(input as never);
        source.complete();
      });
    },
    stream(op, done) {
      const source = new Subject<number>();
      let finished!: () => void;
      const end = new Promise<void>((resolve) => (finished = resolve));
      source.pipe(poolMap(pool, op as 'inc', { batch })).subscribe({ next: (outcome) => done(outcome.request.args[0]), complete: finished });
      return { push: (i) => source.next(i), end: () => (source.complete(), end) };
    },
    close: () => pool.close(),
  };
}

async function loadPiscina(size: number, best: boolean): Promise<System> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({
    filename: join(workers, 'piscina.worker.js'),
    minThreads: size,
    maxThreads: size,
    ...(best ? { concurrentTasksPerWorker: 8 } : {}),
  });
  const run = (op: Op, x: number | Float64Array, transfer: boolean): Promise<unknown> =>
    pool.run({ op, x }, transfer ? { transferList: [(x as Float64Array).buffer as ArrayBuffer] } : {});
  return {
    ready: () => (run('inc', 0, false) as Promise<unknown>).then(() => undefined),
    runAll: (op, inputs, transfer) =>
      best ? windowed(inputs, 64, (x) => run(op, x, transfer)) : Promise.all(inputs.map((x) => run(op, x, transfer))).then(() => undefined),
    stream(op, done) {
      const pending = new Set<Promise<unknown>>();
      return {
        push(i) {
          const call = run(op, i, false).then(() => {
            pending.delete(call);
            done(i);
          });
          pending.add(call);
        },
        end: () => Promise.all(pending).then(() => undefined),
      };
    },
    close: () => pool.close(),
  };
}

async function loadTinypool(size: number): Promise<System> {
  const { Tinypool } = await import('tinypool');
  const pool = new Tinypool({ filename: join(workers, 'piscina.worker.js'), minThreads: size, maxThreads: size });
  const run = (op: Op, x: number | Float64Array, transfer: boolean): Promise<unknown> =>
    pool.run({ op, x }, transfer ? { transferList: [(x as Float64Array).buffer as ArrayBuffer] } : {});
  return {
    ready: () => run('inc', 0, false).then(() => undefined),
    runAll: (op, inputs, transfer) => Promise.all(inputs.map((x) => run(op, x, transfer))).then(() => undefined),
    stream: () => {
      throw new Error('not measured');
    },
    close: () => pool.destroy(),
  };
}

async function loadWorkerpool(size: number): Promise<System> {
  const workerpool = (await import('workerpool')).default;
  const pool = workerpool.pool(join(workers, 'workerpool.worker.js'), { minWorkers: size, maxWorkers: size, workerType: 'thread' });
  const run = (op: Op, x: number | Float64Array, transfer: boolean): Promise<unknown> =>
    pool.exec(op, [x], transfer ? { transfer: [(x as Float64Array).buffer] } : undefined) as unknown as Promise<unknown>;
  return {
    ready: () => run('inc', 0, false).then(() => undefined),
    runAll: (op, inputs, transfer) => Promise.all(inputs.map((x) => run(op, x, transfer))).then(() => undefined),
    stream: () => {
      throw new Error('not measured');
    },
    close: () => pool.terminate().then(() => undefined),
  };
}

async function loadThreadsPool(size: number): Promise<System> {
  const { Pool, spawn, Worker, Transfer } = await import('threads');
  type Thread = { [K in Op]: (x: unknown) => Promise<number> };
  const pool = Pool(() => spawn<Thread>(new Worker('./workers/threads.worker.js')), size);
  const run = (op: Op, x: number | Float64Array, transfer: boolean): Promise<unknown> =>
    pool.queue((thread) => thread[op](transfer ? Transfer(x as never, [(x as Float64Array).buffer]) : x)) as unknown as Promise<unknown>;
  return {
    ready: () => run('inc', 0, false).then(() => undefined),
    runAll: (op, inputs, transfer) => Promise.all(inputs.map((x) => run(op, x, transfer))).then(() => undefined),
    stream: () => {
      throw new Error('not measured');
    },
    close: () => pool.terminate(true),
  };
}

/** The main thread doing the work inline: the floor for `tiny`, the serial baseline for `cpu`. */
function mainThread(): System {
  const fns = { inc, burn, sum } as Record<Op, (x: never) => number>;
  return {
    ready: () => Promise.resolve(),
    runAll(op, inputs) {
      const fn = fns[op];
      let sink = 0;
      for (const input of inputs) sink += fn(input as never);
      if (Number.isNaN(sink)) throw new Error('unreachable');
      return Promise.resolve();
    },
    stream: () => {
      throw new Error('not measured');
    },
    close: () => Promise.resolve(),
  };
}

/** Every system's name, as the table shows it. */
export const systemNames = [
  'rxjs-threadpool',
  'rxjs-threadpool batch:1',
  'piscina',
  'piscina best',
  'workerpool',
  'tinypool',
  'threads.js Pool',
  'main thread',
] as const;
export type SystemName = (typeof systemNames)[number];

/** Builds a system (not yet ready). */
export async function createSystem(name: SystemName, size: number): Promise<System> {
  switch (name) {
    case 'rxjs-threadpool':
      return ours(size, 'auto');
    case 'rxjs-threadpool batch:1':
      return ours(size, 1);
    case 'piscina':
      return loadPiscina(size, false);
    case 'piscina best':
      return loadPiscina(size, true);
    case 'workerpool':
      return loadWorkerpool(size);
    case 'tinypool':
      return loadTinypool(size);
    case 'threads.js Pool':
      return loadThreadsPool(size);
    case 'main thread':
      return mainThread();
  }
}
