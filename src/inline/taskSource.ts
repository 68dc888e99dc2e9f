/**
 * How an inline task's source travels to a worker and is turned back into a
 * function there (`createPool.fromFunctions`). Shared by the main thread,
 * which checks that each source parses, and the worker, which evaluates it.
 *
 * @module
 */

/** One inline task, as the worker receives it. */
export interface InlineTaskSpec {
  /** The task's name (its key in the tasks object). */
  readonly name: string;
  /**
   * `'expression'`: the source is a function expression as it stands
   * (`function f() {}`, `async (x) => x`, `function* g() {}`).
   * `'method'`: it is method shorthand (`fib(n) { ... }`, `async *gen() {}`),
   * valid only inside an object literal.
   */
  readonly form: 'expression' | 'method';
  /** `Function.prototype.toString` of the task. */
  readonly source: string;
}

/** The start of the `sourceURL` each task's code is evaluated under: its frames in a stack read `at fib (rxjs-threadpool:inline-task/0/fib:2:5)`. */
export const INLINE_TASK_URL = 'rxjs-threadpool:inline-task/';

/** The `sourceURL` of the `index`-th task: its index (what the worker reads back) and its name, readable in stacks. */
export function inlineTaskUrl(index: number, name: string): string {
  return `${INLINE_TASK_URL}${index}/${name.replace(/[^\w$.-]/g, '_') || '_'}`;
}

/**
 * Code that evaluates, in strict mode, to the task's function (form
 * `'expression'`) or to an object literal whose only property is the task
 * (form `'method'`). The line break before the closing bracket keeps a
 * source that ends in a line comment from swallowing it.
 */
export function evaluableSource(spec: InlineTaskSpec, index: number): string {
  const url = `\n//# sourceURL=${inlineTaskUrl(index, spec.name)}`;
  return spec.form === 'method' ? `"use strict";({${spec.source}\n})${url}` : `"use strict";(${spec.source}\n)${url}`;
}
