// A worker that cannot start: a prompt WorkerStartError naming the worker and the cause, for ready and every
// request; no retry, and never a crash of the main process.
import { from, range } from 'rxjs';
import { Worker } from 'threads';
import { createPool, WorkerStartError } from '../src';
import { poolMap } from '../operators';
import type { FaultTasks } from './fixtures/faults.worker';
import type { Tasks } from './fixtures/tasks.worker';
import { closePools, collect, fixture, track } from './helpers';

afterEach(closePools);

// Each case must fail well before threads.js's 10 s init timeout; the test timeout proves it.
const fast = 5000;

describe('a worker that cannot start', () => {
  test.each([
    ['a missing file', '/no/such/dir/tasks.worker.js', /no such file: \/no\/such\/dir\/tasks\.worker\.js/],
    ['a syntax error', fixture('syntax-error.worker.js'), /SyntaxError/],
    ['a module that throws while loading (after threads.js loaded)', fixture('throws-at-load.worker.js'), /boom while loading/],
    ['a module that throws while loading (plain)', fixture('throws-at-load-plain.worker.js'), /TypeError: plain boom while loading/],
    ['a module that never calls exposeTasks()', fixture('no-expose.worker.js'), /exited with code 0 before calling exposeTasks/],
    ["a module that uses threads.js's expose()", fixture('plain-expose.worker.js'), /does not call exposeTasks/],
    ['a module that calls exposeTasks twice (catching the second error)', fixture('expose-twice.worker.ts'), /exposeTasks\(\) was called more than once/],
    ['a module that throws while loading after calling exposeTasks', fixture('throws-after-expose.worker.ts'), /boom after exposeTasks/],
    [
      "a module that posts a malformed ready message under the library's tag",
      fixture('forged-ready.worker.ts'),
      /ready message was malformed: tasks must be an array/,
    ],
  ])(
    'fails fast with WorkerStartError for %s, and every request ends with it',
    async (_case, file, cause) => {
      const pool = track(createPool<Tasks>(file, { size: 2 }));
      const outcomes = collect(from([1, 2, 3]).pipe(poolMap(pool, 'double')));
      const error: WorkerStartError = await pool.ready.then(
        () => {
          throw new Error('ready resolved');
        },
        (rejection: WorkerStartError) => rejection,
      );
      expect(error).toBeInstanceOf(WorkerStartError);
      expect(error.code).toBe('ERR_WORKER_START');
      expect(error.file).toBe(file);
      expect(error.message).toContain(file);
      expect(error.message).toMatch(cause);
      const ended = await outcomes;
      expect(ended).toHaveLength(3);
      for (const outcome of ended) expect(!outcome.ok && outcome.error).toBe(error);
      // Later requests end with the same error at once, and the pool refuses to grow.
      const [later] = await collect(from([4]).pipe(poolMap(pool, 'double')));
      expect(!later.ok && later.error).toBe(error);
      await expect(pool.createWorkers(1)).rejects.toBe(error);
      expect(pool.size).toBe(0);
    },
    fast,
  );

  test(
    'a threads.js Worker factory for a missing file fails the same way, naming the file',
    async () => {
      const pool = track(createPool<Tasks>(() => new Worker('./fixtures/missing.worker')));
      await expect(pool.ready).rejects.toMatchObject({ code: 'ERR_WORKER_START', message: expect.stringContaining('fixtures/missing.worker') });
    },
    fast,
  );

  test('repeated start failures do not loop: no retry, pool creation fails once with WorkerStartError', async () => {
    let made = 0;
    const exits: Promise<unknown>[] = [];
    const pool = track(
      createPool<FaultTasks>(
        () => {
          made++;
          const worker = new Worker('./fixtures/throws-at-load.worker.js');
          exits.push(new Promise((resolve) => (worker as unknown as NodeJS.EventEmitter).once('exit', resolve)));
          return worker;
        },
        { size: 2 },
      ),
    );
    const outcomes = collect(range(0, 5).pipe(poolMap(pool, 'echo')));
    await expect(pool.ready).rejects.toMatchObject({ code: 'ERR_WORKER_START', message: expect.stringContaining('boom while loading') });
    for (const outcome of await outcomes) expect(!outcome.ok && outcome.error).toBeInstanceOf(WorkerStartError);
    // Both threads have exited: a pool that respawned on a start failure would have made another by now.
    await Promise.all(exits);
    expect(made).toBe(2);
  });
});

describe('a worker error of any shape becomes a WorkerStartError, never a crash of the main process', () => {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  test.each([
    ['a null-prototype object', Object.assign(Object.create(null) as object, { detail: 'no prototype' })],
    [
      'an object whose toString throws',
      {
        toString: () => {
          throw new Error('no text');
        },
      },
    ],
    ['a symbol', Symbol('odd')],
    ['a revoked proxy', revoked.proxy],
  ])('the worker emits %s as its error while starting: the listener does not throw, and ready rejects with WorkerStartError', async (_case, odd) => {
    let worker: NodeJS.EventEmitter | undefined;
    const pool = track(
      createPool<Tasks>(() => {
        const created = new Worker('./fixtures/plain-expose.worker.js');
        worker = created as unknown as NodeJS.EventEmitter;
        return created;
      }),
    );
    // Node calls the pool's listener synchronously from emit: a listener that throws would crash the main process.
    expect(worker).toBeDefined();
    expect(() => worker?.emit('error', odd)).not.toThrow();
    const error = await pool.ready.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(WorkerStartError);
    expect(typeof (error as WorkerStartError).message).toBe('string');
  });
});

describe('a start error names the worker, never a file of threads.js', () => {
  test('a factory whose new Worker throws (bad execArgv): the error names the factory', async () => {
    const pool = track(createPool<Tasks>(() => new Worker('./fixtures/tasks.worker.ts', { execArgv: ['--no-such-flag'] } as never)));
    const error = (await pool.ready.then(
      () => undefined,
      (rejection: unknown) => rejection,
    )) as WorkerStartError;
    expect(error).toBeInstanceOf(WorkerStartError);
    expect(error.file).toBe('(from the worker factory)');
    expect(error.message).not.toMatch(/node_modules/);
  });
});
