/**
 * The worker side of `createPool.fromFunctions`: rebuilds the tasks from
 * their source and exposes them. The worker script the pool generates
 * loads this module by absolute path and calls {@link exposeInlineTasks}.
 *
 * Not part of the public API.
 *
 * @module
 */
import type { Task, TaskMap } from '../tasks.js';
import { exposeTasks } from '../worker/exposeTasks.js';
import { evaluableSource, INLINE_TASK_URL, type InlineTaskSpec } from './taskSource.js';

/** The `code` of the error a task gets when it uses a name defined outside it. */
export const OUTSIDE_REFERENCE = 'ERR_INLINE_TASK_OUTSIDE_REFERENCE';

/**
 * Evaluates each task's source in the worker's global scope (indirect
 * `eval`, strict mode), so a task sees the worker's globals (`Math`,
 * `require`, `Buffer`, `setTimeout`, `crypto`, ...) and nothing else, and
 * exposes them with `exposeTasks`.
 *
 * Each task runs with `this` set to the object of all the tasks, so
 * `this.sibling(x)` calls another task (in the same worker, directly).
 * A `ReferenceError` "x is not defined" raised in a task's own code becomes
 * a `ReferenceError` that says the task uses `x`, defined outside it, with
 * `code` {@link OUTSIDE_REFERENCE}, `task` and `identifier`.
 */
export function exposeInlineTasks(specs: readonly InlineTaskSpec[]): TaskMap {
  /** The tasks as written: `this` of each, so `this.sibling(x)` calls one directly. */
  const tasksAsThis: Record<string, Task> = {};
  /** The tasks as exposed: each failure explained. */
  const explainedTasks: Record<string, Task> = {};
  specs.forEach((spec, index) => {
    const task = evaluateTask(specs, index);
    const runExplained = (...args: unknown[]): unknown => {
      let value: unknown;
      try {
        value = task.apply(tasksAsThis, args);
      } catch (error) {
        throw explainOutsideReference(error, specs);
      }
      return explainLaterFailures(value, specs);
    };
    // Defined, not assigned: a task named "__proto__" stays a task.
    Object.defineProperty(tasksAsThis, spec.name, { value: task, enumerable: true, writable: true, configurable: true });
    Object.defineProperty(explainedTasks, spec.name, { value: runExplained, enumerable: true, writable: true, configurable: true });
  });
  return exposeTasks(explainedTasks);
}

/** The task's function, or, when its source does not evaluate here, a task that throws why. */
function evaluateTask(specs: readonly InlineTaskSpec[], index: number): Task {
  const spec = specs[index];
  let value: unknown;
  try {
    // Indirect eval: global scope, so the task cannot see this module's variables.
    value = (0, eval)(evaluableSource(spec, index));
    if (spec.form === 'method') {
      // An object literal holding the method: take its one property.
      const holder = value as object;
      const [key] = Reflect.ownKeys(holder);
      value = key === undefined ? undefined : Reflect.getOwnPropertyDescriptor(holder, key)?.value;
    }
  } catch (error) {
    // A computed method name that refers to an outside variable, say: fail the task, not the worker.
    const explained = explainOutsideReference(error, specs);
    return () => {
      throw explained;
    };
  }
  if (typeof value !== 'function') {
    const error = new TypeError(
      `inline task "${spec.name}": its source did not evaluate to a function in the worker (a getter or setter?): ${spec.source.slice(0, 80)}`,
    );
    return () => {
      throw error;
    };
  }
  return value as Task;
}

/** The task's result, with rejections and generator errors explained like thrown ones. */
function explainLaterFailures(value: unknown, specs: readonly InlineTaskSpec[]): unknown {
  if (typeof value !== 'object' && typeof value !== 'function') return value;
  if (value === null) return value;
  const candidate = value as { then?: unknown; next?: unknown; throw?: unknown };
  if (typeof candidate.then === 'function') {
    return (value as PromiseLike<unknown>).then(undefined, (error: unknown) => {
      throw explainOutsideReference(error, specs);
    });
  }
  if (typeof candidate.next === 'function' && typeof candidate.throw === 'function') {
    if (Symbol.asyncIterator in value) {
      const generator = value as AsyncGenerator<unknown, unknown, undefined>;
      return (async function* () {
        try {
          return yield* generator;
        } catch (error) {
          throw explainOutsideReference(error, specs);
        }
      })();
    }
    if (Symbol.iterator in value) {
      const generator = value as Generator<unknown, unknown, undefined>;
      return (function* () {
        try {
          return yield* generator;
        } catch (error) {
          throw explainOutsideReference(error, specs);
        }
      })();
    }
  }
  return value;
}

/**
 * A `ReferenceError` "x is not defined" whose innermost frame is a task's
 * own code becomes the clear error; anything else is returned as it is (a
 * `ReferenceError` raised inside a required module is that module's bug).
 */
function explainOutsideReference(error: unknown, specs: readonly InlineTaskSpec[]): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const undefinedName = /^(\S+) is not defined$/.exec(error.message);
  if (!undefinedName) return error;
  const frames = String(error.stack)
    .split('\n')
    .filter((line) => /^\s+at /.test(line));
  const innermost = frames[0] ?? '';
  const at = innermost.indexOf(INLINE_TASK_URL);
  if (at === -1) return error;
  const index = Number(/^\d+/.exec(innermost.slice(at + INLINE_TASK_URL.length))?.[0]);
  const spec = specs[index];
  if (!spec) return error;
  const identifier = undefinedName[1];
  // TypeScript compiles `import { from } from 'rxjs'` to `rxjs_1`, and a use of `from` to `(0, rxjs_1.from)(...)`.
  const compiledImport = /^[A-Za-z$_][\w$]*_\d+$/.test(identifier)
    ? ` (\`${identifier}\` is what a compiler makes of an import: imports are outside the function too)`
    : '';
  const explained = new ReferenceError(
    `task "${spec.name}" uses \`${identifier}\`, which is defined outside it${compiledImport}: inline tasks must be self-contained ` +
      '(define it inside the function, call sibling tasks as this.name(), require() modules inside the function, or use a worker module)',
  );
  explained.stack = `ReferenceError: ${explained.message}\n${frames.join('\n')}`;
  Object.assign(explained, { code: OUTSIDE_REFERENCE, task: spec.name, identifier });
  return explained;
}
