/**
 * One adapter per system under test, all driven the same way: run a list of
 * calls and resolve when every one has its result, or stream calls in and
 * report each one's completion (the keyed stream workload's systems: run a
 * list of clicks and report each session).
 */
import { join } from 'node:path';
import { from, groupBy, mergeMap, Subject } from 'rxjs';
import { type ClickEvent, sessionize, type UserSession } from '../examples/sessions/sessionize';
import type { Tasks as SessionTasks } from '../examples/sessions/sessions.worker';
import { createPool, type Pool } from '../src';
import { poolMap, type PoolMapOptions, poolPipe, pullFrom } from '../operators';
import { burn, type Call, inc, type Key, type KeyedRequest, keyOf, type SessionBatch, sum } from './tasks';
import type { KeyedTasks } from './workers/ours.keyed.worker';
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

/** A pool under test on the keyed tiny workload: each request's count for its key (see `countKey`) goes to `done`. */
export interface KeyedSystem {
  /** Resolves when the pool can take work. */
  ready(): Promise<void>;
  /** Runs `countKey` on every request, in order; resolves when all are done. */
  runAll(requests: readonly KeyedRequest[], done: (request: KeyedRequest, count: number) => void): Promise<void>;
  close(): Promise<void>;
}

/** A system of the keyed stream workload: the sessions of a click stream, cut per user by `sessionize`. */
export interface SessionSystem {
  /** Resolves when the system can take work. */
  ready(): Promise<void>;
  /**
   * Sessionizes `clicks` (in stream order, users interleaved), every user by its own `sessionize`, and
   * ends every user's input when the clicks end (the sessions still open flush); each session goes to
   * `done`; resolves after the last. Nothing is left from one run to the next.
   */
  run(clicks: readonly ClickEvent[], done: (session: UserSession) => void): Promise<void>;
  close(): Promise<void>;
}

const workers = join(__dirname, 'workers');
/** The sessions example's worker module, compiled beside the bench (tsconfig.bench.json includes it): dist/examples/sessions/. */
const sessionsWorker = join(__dirname, '..', 'examples', 'sessions', 'sessions.worker.js');

/** Keeps at most `window` promises outstanding while running `inputs` (for peers in their best configuration). */
async function windowed<T>(inputs: readonly T[], window: number, run: (input: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(window, inputs.length) }, async () => {
    while (next < inputs.length) await run(inputs[next++]);
  });
  await Promise.all(lanes);
}

/** rxjs-threadpool's poolMap with `batch`, its workers threads or child processes (`runtime`), defaults otherwise. */
function ours(size: number, batch: 'auto' | 1, runtime: 'thread' | 'process'): System {
  const pool: Pool<Tasks> = createPool<Tasks>(join(workers, 'ours.worker.js'), { size, runtime });
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

/**
 * tinypool, its workers threads or child processes (`runtime`), defaults otherwise. Nothing is
 * transferred to its child processes (a task goes as a copy, JSON-serialized by default): the process
 * mode runs only the workloads of numbers (tiny, cpu, startup). Its workers are reused
 * (`isolateWorkers` is off by default).
 */
async function loadTinypool(size: number, runtime: 'worker_threads' | 'child_process'): Promise<System> {
  const { Tinypool } = await import('tinypool');
  const pool = new Tinypool({ filename: join(workers, 'piscina.worker.js'), minThreads: size, maxThreads: size, runtime });
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

/**
 * workerpool, its workers threads or child processes (`workerType`), defaults otherwise. Nothing is
 * transferred to its child processes (it ignores `transfer`; a task goes as a copy, JSON-serialized by
 * default): the process mode runs only the workloads of numbers (tiny, cpu, startup).
 */
async function loadWorkerpool(size: number, workerType: 'thread' | 'process'): Promise<System> {
  const workerpool = (await import('workerpool')).default;
  const pool = workerpool.pool(join(workers, 'workerpool.worker.js'), { minWorkers: size, maxWorkers: size, workerType });
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

/** rxjs-threadpool with poolMap's `key` option, defaults otherwise (batch 'auto'). */
function oursKeyed(size: number): KeyedSystem {
  const pool: Pool<KeyedTasks> = createPool<KeyedTasks>(join(workers, 'ours.keyed.worker.js'), { size });
  const options = { key: keyOf };
  return {
    ready: () => pool.ready,
    runAll(requests, done) {
      return new Promise((resolve, reject) => {
        const source = new Subject<KeyedRequest>();
        source.pipe(poolMap(pool, 'countKey', options)).subscribe({
          next: (outcome) => {
            if (outcome.ok === true) done(outcome.request.args[0], outcome.value);
            else if (outcome.ok === false) reject(outcome.error);
          },
          error: reject,
          complete: resolve,
        });
        for (const request of requests) source.next(request);
        source.complete();
      });
    },
    close: () => pool.close(),
  };
}

/** FNV-1a over the key's text, high bits folded in (the low bits of FNV-1a alone spread short keys poorly). */
function hashKey(key: Key): number {
  const text = String(key);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash ^ (hash >>> 16)) >>> 0;
}

/**
 * Keyed work on piscina as a user would route it by hand: one pool of one thread per worker, each
 * request sent to the pool `hash(key) % size`, in piscina best's configuration (8 tasks in a worker at
 * once, at most 64 outstanding in all; atomics left at piscina's default, 'sync', as piscina best
 * leaves it), plus `stricterFIFO`. A key's requests keep their order: they are submitted in stream
 * order (the window takes requests in order) to one pool, whose queue is FIFO only with
 * `stricterFIFO: true` (by default a task its worker has no room for goes back to the queue's tail,
 * and the keyed check caught requests of a key running out of order), and whose one worker runs its
 * messages in arrival order. With 8 tasks in the worker at once that still holds because the task is
 * sync: each runs to its end before the next message's task starts.
 */
async function loadPiscinaHandRouted(size: number): Promise<KeyedSystem> {
  const { Piscina } = await import('piscina');
  const options = { minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 8, stricterFIFO: true };
  const pools = Array.from({ length: size }, () => new Piscina({ filename: join(workers, 'piscina.keyed.worker.js'), ...options }));
  const run = (request: KeyedRequest): Promise<number> => pools[hashKey(keyOf(request)) % size].run(request) as Promise<number>;
  return {
    // Every pool's worker up, without touching the workload's keys: a request of key -1, which it never uses.
    ready: () => Promise.all(pools.map((pool) => pool.run(-1 satisfies KeyedRequest))).then(() => undefined),
    runAll: (requests, done) => windowed(requests, 64, (request) => run(request).then((count) => done(request, count))),
    close: () => Promise.all(pools.map((pool) => pool.close())).then(() => undefined),
  };
}

/**
 * rxjs-threadpool's poolPipe, as its TSDoc shows it: the clicks pulled (`pullFrom`, its default queue
 * of 1000) into the `sessionize` stream task of examples/sessions/sessions.worker.ts, keyed by user;
 * defaults otherwise (batch 'auto'). An error outcome fails the run.
 */
function oursPoolPipe(size: number): SessionSystem {
  const pool: Pool<SessionTasks> = createPool<SessionTasks>(sessionsWorker, { size });
  const options = { key: (click: ClickEvent): number => click.user };
  return {
    ready: () => pool.ready,
    run(clicks, done) {
      return new Promise((resolve, reject) => {
        pullFrom(clicks)
          .pipe(poolPipe(pool, 'sessionize', options))
          .subscribe({
            next: (outcome) => {
              if (outcome.ok) done(outcome.value);
              else reject(outcome.error);
            },
            error: reject,
            complete: resolve,
          });
      });
    },
    close: () => pool.close(),
  };
}

/** The same operator on the main thread, as RxJS has it: a group per user (`groupBy`), each group's sessions by `sessionize`. */
function mainThreadGroupBy(): SessionSystem {
  return {
    ready: () => Promise.resolve(),
    run(clicks, done) {
      return new Promise((resolve, reject) => {
        from(clicks)
          .pipe(
            groupBy((click) => click.user),
            mergeMap((group$) => sessionize(group$)),
          )
          .subscribe({ next: done, error: reject, complete: resolve });
      });
    },
    close: () => Promise.resolve(),
  };
}

/** Clicks per task of the hand-routed piscina, and tasks outstanding per pool (its worker runs one while the next waits in its port). */
const SESSION_BATCH = 512;
const SESSION_BATCHES_OUTSTANDING = 4;

/**
 * The keyed stream workload on piscina as a user would route it by hand: one pool of one thread per
 * worker; each click goes to the pool `hash(user) % size`, in arrays of {@link SESSION_BATCH} clicks
 * (one per pool, sent when full), at most {@link SESSION_BATCHES_OUTSTANDING} per pool outstanding (the
 * routing waits for the pool's oldest); the worker keeps a Subject per user feeding `sessionize`
 * (workers/piscina.sessions.worker.ts) and returns the sessions each batch made; at the end, the
 * last partial batches, then a flush task per pool (every user's input completes). A user's clicks
 * keep their order: one pool, batches submitted in stream order, `stricterFIFO` (see
 * {@link loadPiscinaHandRouted}), one worker running its messages in arrival order; the worker checks
 * each batch's sequence number. Tasks outstanding may all sit in the worker's port
 * (`concurrentTasksPerWorker` as many), so it starts the next as soon as one ends.
 */
async function loadPiscinaSessions(size: number): Promise<SessionSystem> {
  const { Piscina } = await import('piscina');
  const options = { minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: SESSION_BATCHES_OUTSTANDING, stricterFIFO: true };
  const pools = Array.from({ length: size }, () => new Piscina({ filename: join(workers, 'piscina.sessions.worker.js'), ...options }));
  const flushAll = (): Promise<UserSession[][]> =>
    Promise.all(pools.map((pool) => pool.run({ seq: 0, clicks: null } satisfies SessionBatch) as Promise<UserSession[]>));
  return {
    // Every pool's worker up: a flush of nothing.
    ready: () => flushAll().then(() => undefined),
    async run(clicks, done) {
      const seqs = new Array<number>(size).fill(0);
      const outstanding = pools.map((): Promise<void>[] => []);
      const send = async (at: number, batch: readonly ClickEvent[] | null): Promise<void> => {
        const mine = outstanding[at];
        // The pool's tasks end in the order they were sent: waiting for the oldest frees a place.
        if (mine.length === SESSION_BATCHES_OUTSTANDING) await mine.shift();
        const task = pools[at].run({ seq: seqs[at]++, clicks: batch } satisfies SessionBatch) as Promise<UserSession[]>;
        mine.push(
          task.then((sessions) => {
            for (const session of sessions) done(session);
          }),
        );
      };
      const batches = pools.map((): ClickEvent[] => []);
      for (const click of clicks) {
        const at = hashKey(click.user) % size;
        const batch = batches[at];
        batch.push(click);
        if (batch.length === SESSION_BATCH) {
          batches[at] = [];
          await send(at, batch);
        }
      }
      for (let at = 0; at < size; at++) {
        if (batches[at].length > 0) await send(at, batches[at]);
        await send(at, null);
      }
      await Promise.all(outstanding.flat());
    },
    close: () => Promise.all(pools.map((pool) => pool.close())).then(() => undefined),
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

/** The systems whose workers are threads, and the main thread, by name as the table shows it. */
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

/** The systems whose workers are child processes, each the same pool as its namesake above (the tiny, cpu and startup workloads only). */
export const processSystemNames = ['rxjs-threadpool process', 'workerpool process', 'tinypool process'] as const;
export type SystemName = (typeof systemNames)[number] | (typeof processSystemNames)[number];

/** The systems of the keyed tiny workload only (it also runs plain rxjs-threadpool on `inc`, as `tiny` does). */
export const keyedSystemNames = ['rxjs-threadpool keyed', 'piscina hand-routed'] as const;
export type KeyedSystemName = (typeof keyedSystemNames)[number];

/** Whether `name` is a system of the keyed tiny workload only. */
export function isKeyedSystem(name: string): name is KeyedSystemName {
  return (keyedSystemNames as readonly string[]).includes(name);
}

/** Builds a keyed system (not yet ready). */
export async function createKeyedSystem(name: KeyedSystemName, size: number): Promise<KeyedSystem> {
  switch (name) {
    case 'rxjs-threadpool keyed':
      return oursKeyed(size);
    case 'piscina hand-routed':
      return loadPiscinaHandRouted(size);
  }
}

/** The systems of the keyed stream workload only (its piscina shares keyed tiny's name: the same routing, on sessions). */
export const sessionSystemNames = ['rxjs-threadpool poolPipe', 'main thread groupBy', 'piscina hand-routed'] as const;
export type SessionSystemName = (typeof sessionSystemNames)[number];

/** Whether `name` is a system of the keyed stream workload. */
export function isSessionSystem(name: string): name is SessionSystemName {
  return (sessionSystemNames as readonly string[]).includes(name);
}

/** Builds a system of the keyed stream workload (not yet ready). */
export async function createSessionSystem(name: SessionSystemName, size: number): Promise<SessionSystem> {
  switch (name) {
    case 'rxjs-threadpool poolPipe':
      return oursPoolPipe(size);
    case 'main thread groupBy':
      return mainThreadGroupBy();
    case 'piscina hand-routed':
      return loadPiscinaSessions(size);
  }
}

/** Builds a system (not yet ready). */
export async function createSystem(name: SystemName, size: number): Promise<System> {
  switch (name) {
    case 'rxjs-threadpool':
      return ours(size, 'auto', 'thread');
    case 'rxjs-threadpool batch:1':
      return ours(size, 1, 'thread');
    case 'rxjs-threadpool process':
      return ours(size, 'auto', 'process');
    case 'piscina':
      return loadPiscina(size, false);
    case 'piscina best':
      return loadPiscina(size, true);
    case 'workerpool':
      return loadWorkerpool(size, 'thread');
    case 'workerpool process':
      return loadWorkerpool(size, 'process');
    case 'tinypool':
      return loadTinypool(size, 'worker_threads');
    case 'tinypool process':
      return loadTinypool(size, 'child_process');
    case 'threads.js Pool':
      return loadThreadsPool(size);
    case 'main thread':
      return mainThread();
  }
}
