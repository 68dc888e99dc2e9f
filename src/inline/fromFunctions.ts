/**
 * `createPool.fromFunctions`: a pool whose workers run functions given
 * inline, without a worker file. Node only.
 *
 * Each function's source (`Function.prototype.toString`) goes into a worker
 * script generated here and evaluated by a `worker_threads` Worker
 * (`eval: true`). That script loads this library's worker side
 * (`inline/exposeInlineTasks`, by absolute path, found next to the
 * `nodeRequire` module in the sources or either build; see `src/threads/inlineThreads.ts`) and hands it the sources, which it evaluates in
 * the worker's global scope.
 *
 * @module
 */
import { checkTasks } from '../checks.js';
import { InvalidOptionError } from '../errors.js';
import type { Pool } from '../Pool.js';
import type { TaskMap } from '../tasks.js';
import { inlineWorkerFactory } from '../threads/platform.js';
import { resolveSource } from '../threads/workerSource.js';
import { createWorkerPool, type PoolOptions } from '../workerPool.js';
import { evaluableSource, type InlineTaskSpec } from './taskSource.js';

/**
 * Starts a pool whose workers run the given functions: no worker file
 * needed. Node only (worker_threads).
 *
 * ```ts
 * const pool = createPool.fromFunctions({
 *   fib(n: number): number {
 *     return n < 2 ? n : this.fib(n - 1) + this.fib(n - 2);
 *   },
 *   async sha256(text: string): Promise<string> {
 *     const { createHash } = require('node:crypto');
 *     return createHash('sha256').update(text).digest('hex');
 *   },
 * }, { size: 2 });
 * from([30, 31]).pipe(poolMap(pool, 'fib')); // Outcome<[number], number>
 * ```
 *
 * The pool is typed from the object, as `createPool<typeof tasks>` is from a
 * worker module: `poolMap`'s task names, arguments and results follow the
 * functions' own types.
 *
 * **Each function must be self-contained.** Only its source travels to the
 * workers, never its closure: it is evaluated there, in strict mode, in the
 * worker's global scope, so it sees the globals of a Node worker (`Math`,
 * `JSON`, `Buffer`, `setTimeout`, `crypto`, `structuredClone`, `require`
 * for Node's built-in modules and packages resolvable from the working
 * directory...) and nothing of the file that defined it: no imports, no
 * helper functions, no constants. Whether a name is defined outside the
 * function cannot be known without running it, so a task that uses one fails
 * when it runs into it: that request ends with `TaskError`, whose `cause`
 * is a `ReferenceError` with `code` `'ERR_INLINE_TASK_OUTSIDE_REFERENCE'`,
 * `task` and `identifier`, saying "task "fib" uses \`helper\`, which is
 * defined outside it: inline tasks must be self-contained (...)". The worker
 * and the pool carry on serving other requests. Code that tools add around
 * your functions refers to outside names too: coverage instrumentation
 * (`jest --coverage`), and helpers (`__awaiter`, `__rest`) of TypeScript
 * targets older than ES2018.
 *
 * **`this` is the object of all the tasks** (in the worker), for method
 * shorthand and `function` expressions: `this.fib(n - 1)` recurses,
 * `this.other(x)` calls a sibling directly in the same worker. A named
 * `function fib(n) {}` expression can also call itself by its name. Arrow
 * functions have no `this` of their own: use method shorthand to reach
 * siblings.
 *
 * Method shorthand (`fib(n) {}`), `function` expressions, arrow functions,
 * async functions and generator functions (progress, as in worker modules)
 * are all accepted. Results, arguments and errors travel as for a worker
 * module; a task cannot use `transfer()` (it cannot import it).
 *
 * @typeParam T - The tasks' type, inferred from `tasks`.
 * @param tasks - The tasks, by name: an object of self-contained functions.
 * @param options - As for {@link createPool}, the worker options (`resourceLimits`, `env`, `workerData`, …) included.
 * @throws InvalidOptionError, synchronously, for `tasks` that is not an
 * object, is empty, holds a value that is not a function, a class, a
 * built-in or bound function (its source reads `[native code]`), or a
 * function whose source does not parse in strict mode; for a bad option;
 * and outside Node.
 */
export function fromFunctions<T extends TaskMap>(tasks: T & ThisType<T>, options?: PoolOptions): Pool<T> {
  if (!onNode()) {
    throw new InvalidOptionError(
      'createPool.fromFunctions',
      'not Node.js',
      'Node.js: inline tasks run on worker_threads (in a browser, use a worker module: createPool(() => new Worker(new URL("./tasks.worker.js", import.meta.url))))',
    );
  }
  const specs = inlineTaskSpecs(tasks);
  // Its workers are made here, given the worker options (resourceLimits, env, …) as a path's would be.
  return createWorkerPool<T>(undefined, options, (thread) => resolveSource(inlineWorkerFactory(specs, thread)));
}

/** Whether this is Node (worker_threads). */
function onNode(): boolean {
  return typeof process === 'object' && process !== null && typeof process.versions?.node === 'string';
}

/** Checks the tasks and reads each one's source; throws `InvalidOptionError` naming the task. */
export function inlineTaskSpecs(tasks: unknown): InlineTaskSpec[] {
  checkTasks(tasks);
  const entries = Object.entries(tasks);
  if (entries.length === 0) throw new InvalidOptionError('tasks', tasks, 'an object with at least one task function');
  return entries.map(([name, task], index): InlineTaskSpec => {
    const option = `tasks.${name}`;
    const source = Function.prototype.toString.call(task);
    if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
      throw new InvalidOptionError(
        option,
        task,
        'a function written in JavaScript, whose source can be sent to a worker (not a built-in or bound function: its source reads "[native code]")',
      );
    }
    if (/^class\b/.test(source)) throw new InvalidOptionError(option, task, 'a function, not a class');
    const asExpression = syntaxError({ name, form: 'expression', source }, index);
    if (asExpression === undefined) return { name, form: 'expression', source };
    const asMethod = syntaxError({ name, form: 'method', source }, index);
    if (asMethod === undefined) return { name, form: 'method', source };
    throw new InvalidOptionError(option, task, `a function whose source parses in strict mode (as an expression: ${asExpression}; as a method: ${asMethod})`);
  });
}

/** The syntax error the task's evaluable code has, if any. Parses only: `new Function` compiles a body it never calls. */
function syntaxError(spec: InlineTaskSpec, index: number): string | undefined {
  try {
    new Function(evaluableSource(spec, index));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
