/**
 * The consumer program of the pack test (test/pack.test.ts): a worker module
 * and a main program written against the installed package, compiled and run
 * in a scratch project, and what the program prints.
 */

/** The module format of a consumer project. */
export type Format = 'esm' | 'cjs';

export const workerSource = `import { exposeTasks, type TaskMap } from 'rxjs-threadpool/worker';

export const tasks = exposeTasks({
  square(n: number): number {
    if (n < 0) throw new RangeError(\`negative: \${n}\`);
    return n * n;
  },
  async greet(name: string): Promise<string> {
    return \`hello \${name}\`;
  },
});
export type Tasks = typeof tasks;

const map: TaskMap = tasks;
void map;
`;

export function mainSource(format: Format): string {
  const [workerPath, resolved] =
    format === 'esm'
      ? ["new URL('./worker.js', import.meta.url)", "import.meta.resolve('rxjs-threadpool/operators')"]
      : ["require('node:path').join(__dirname, 'worker.js') as string", "require.resolve('rxjs-threadpool/operators')"];
  return `import { from, lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Worker } from 'node:worker_threads';
import { createPool, type Outcome, TaskError, type Transferable, type WorkerLike } from 'rxjs-threadpool';
import { createVirtualPool } from 'rxjs-threadpool/marbles';
import { poolMap, results } from 'rxjs-threadpool/operators';
import type { Task, TaskMap } from 'rxjs-threadpool/worker';
import { type Tasks, tasks } from './worker.js';

const square: Task = tasks.square;
const taskMap: TaskMap = tasks;

async function main(): Promise<void> {
  const pool = createPool<Tasks>(${workerPath}, { size: 2 });
  const outcomes: Outcome<[n: number], number>[] = await lastValueFrom(from([1, 2, -3, 4]).pipe(poolMap(pool, 'square', { ordered: true }), toArray()));
  const squares = outcomes.map((outcome) => {
    if (outcome.ok) {
      const n: number = outcome.value;
      // @ts-expect-error: the result of square is a number
      const s: string = outcome.value;
      void s;
      return { arg: outcome.request.args[0], value: n };
    }
    const error = outcome.error;
    return error instanceof TaskError
      ? { arg: outcome.request.args[0], error: error.name, code: error.code, cause: \`\${error.cause.name}: \${error.cause.message}\` }
      : { arg: outcome.request.args[0], error: String(error) };
  });
  const greetings = await lastValueFrom(
    from(['a', 'b']).pipe(
      poolMap(pool, 'greet', { ordered: true }),
      results(),
      map(({ value }) => value.toUpperCase()),
      toArray(),
    ),
  );
  const run: number = await pool.run('square', 5);
  const runError = await pool.run('square', -1).then(String, (error: unknown) => (error instanceof TaskError ? error.code : String(error)));
  // Type errors only, never run (poolMap also rejects an unknown task at run time).
  void (() => {
    // A worker_threads Worker is a worker, and a buffer a Transferable, whatever @types/node says of them.
    const worker: WorkerLike = new Worker('./worker.js');
    const buffers: Transferable[] = [new ArrayBuffer(8), new Float64Array(2).buffer];
    void [worker, buffers];
    // @ts-expect-error: run's arguments are the task's
    void pool.run('square', 'x');
    // @ts-expect-error: the worker module has no task of that name
    poolMap(pool, 'cube');
    // @ts-expect-error: square takes a number
    from(['x']).pipe(poolMap(pool, 'square'));
  });
  await pool.close();

  // Inline tasks: the generated worker finds the package's own worker side in the installed build.
  const inline = createPool.fromFunctions({ twice: (n: number): number => n * 2 }, { size: 1 });
  const twice: number[] = await lastValueFrom(from([1, 2]).pipe(poolMap(inline, 'twice', { ordered: true }), results(), map(({ value }) => value), toArray()));
  await inline.close();

  let frames: string[] = [];
  const scheduler = new TestScheduler((actual: { frame: number; notification: { kind: string; value?: unknown } }[]) => {
    frames = actual.map(({ frame, notification }) => \`\${frame}:\${notification.kind}\${notification.kind === 'N' ? ':' + String(notification.value) : ''}\`);
  });
  scheduler.run(({ cold, expectObservable }) => {
    const virtual = createVirtualPool(tasks, { scheduler, size: 1, duration: 2 });
    const values = cold('ab|', { a: 3, b: 5 }).pipe(
      poolMap(virtual, 'square'),
      map((outcome) => (outcome.ok ? outcome.value : -1)),
    );
    expectObservable(values).toBe('');
  });

  const format = typeof require === 'undefined' ? 'esm' : 'cjs';
  const build = /[\\\\/]dist[\\\\/](esm|cjs)[\\\\/]/.exec(${resolved})?.[1];
  console.log(JSON.stringify({ format, build, squares, greetings, run, runError, twice, frames, tasks: Object.keys(taskMap), square: typeof square }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;
}

export function expected(format: Format): unknown {
  return {
    format,
    build: format,
    squares: [
      { arg: 1, value: 1 },
      { arg: 2, value: 4 },
      { arg: -3, error: 'TaskError', code: 'ERR_TASK_FAILED', cause: 'RangeError: negative: -3' },
      { arg: 4, value: 16 },
    ],
    greetings: ['HELLO A', 'HELLO B'],
    run: 25,
    runError: 'ERR_TASK_FAILED',
    twice: [2, 4],
    frames: ['2:N:9', '4:N:25', '4:C'],
    tasks: ['square', 'greet'],
    square: 'function',
  };
}
