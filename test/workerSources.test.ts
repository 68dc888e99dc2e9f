/**
 * What `createPool` takes as a worker, besides a `.ts` path (see
 * typeScriptWorkers.test.ts): a factory returning a native `worker_threads`
 * Worker or a Web Worker-shaped one, and a `.js` path whose file is not
 * built yet.
 */
import { Worker } from 'node:worker_threads';
import { createPool, type Pool, WorkerStartError } from '../src';
import type { Tasks } from './fixtures/tasks.worker';
import { RUN } from '../src/messages';
import { closePools, fixture, track } from './helpers';

afterEach(closePools);

/** A Web Worker-shaped object (an EventTarget) whose script never loads: it fires a bare `error` Event, as a browser does for a 404. */
class UnloadableWebWorker extends EventTarget {
  constructor() {
    super();
    queueMicrotask(() => this.dispatchEvent(new Event('error')));
  }
  postMessage(): void {}
  terminate(): void {}
}

describe('worker sources', () => {
  test('a factory may return a native worker_threads Worker', async () => {
    const register = require.resolve('ts-node/register/transpile-only');
    const pool: Pool<Tasks> = track(
      createPool<Tasks>(() => new Worker(`require(${JSON.stringify(register)}); require(${JSON.stringify(fixture('tasks.worker.ts'))});`, { eval: true }), {
        size: 1,
      }),
    );
    await expect(pool.run('add', 20, 22)).resolves.toBe(42);
  });

  test("a Web Worker whose script does not load fails the pool with a WorkerStartError that says so (not '[object Event]')", async () => {
    const pool = track(createPool<Tasks>(() => new UnloadableWebWorker(), { size: 1 }));
    const error = await pool.ready.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as Error).message).toMatch(
      /the worker script did not load .*new Worker\(new URL\("\.\/tasks\.worker\.js", import\.meta\.url\), \{ type: "module" \}\)/,
    );
  });

  test('a factory that returns no worker fails the pool with WorkerStartError, naming what it returned', async () => {
    const pool = track(createPool<Tasks>((() => ({ not: 'a worker' })) as never, { size: 1 }));
    const error = await pool.ready.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as Error).message).toMatch(/a factory returning a worker \(a Web Worker, a worker_threads Worker, or a threads\.js Worker\)/);
  });

  test('a .js path that is not built yet runs its .ts source', async () => {
    const fromJs = track(createPool<Tasks>(fixture('tasks.worker.js'), { size: 1 }));
    await expect(fromJs.run('double', 21)).resolves.toBe(42);
  });
});

describe('starting a worker', () => {
  test('a new worker says it is ready unasked: the first message the pool posts to it is its first request', async () => {
    const register = require.resolve('ts-node/register/transpile-only');
    const posted: unknown[] = [];
    const pool: Pool<Tasks> = track(
      createPool<Tasks>(
        () => {
          const worker = new Worker(`require(${JSON.stringify(register)}); require(${JSON.stringify(fixture('tasks.worker.ts'))});`, { eval: true });
          const post = worker.postMessage.bind(worker);
          worker.postMessage = (message: unknown, transfer?: never) => {
            posted.push(message);
            post(message, transfer);
          };
          return worker;
        },
        { size: 1 },
      ),
    );
    await pool.ready;
    expect(posted).toEqual([]);
    await expect(pool.run('add', 20, 22)).resolves.toBe(42);
    expect(posted).toEqual([expect.objectContaining({ type: RUN })]);
  });
});
