import { from } from 'rxjs';
import { Worker } from 'threads';
import { createPool, WorkerStartError } from '../src';
import { poolMap } from '../operators';
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
});
