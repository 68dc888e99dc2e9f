/**
 * `exposeTasks`: the worker side of a pool.
 *
 * @module
 */
import { expose } from 'threads/worker';
import { checkTasks } from '../checks';
import { DONE, type DoneMessage, isCloneable, RUN, type RunMessage, serializeError, type WireFailure, type WorkerApi } from '../protocol';
import type { TaskMap } from '../tasks';
import { unwrapTransfer } from '../transfer';
import { type MasterPort, masterPort } from './port';

/**
 * Declares a worker module's tasks. Call it once, at the top level of the
 * worker file, and export its result's type so the pool is typed from it:
 *
 * ```ts
 * // primes.worker.ts
 * import { exposeTasks } from 'rxjs-threadpool/worker';
 *
 * export const tasks = exposeTasks({
 *   countPrimes(limit: number) { ... },
 *   async digest(text: string) { ... },
 * });
 * export type Tasks = typeof tasks;
 * ```
 *
 * Tasks may be sync or async; a worker runs one request at a time, and a
 * batch of requests one after another. What a task throws (or rejects with)
 * becomes that request's `TaskError`, with the error's name, message, stack,
 * `code` and other cloneable fields. A result that cannot be cloned back
 * becomes that request's `DataCloneError`; its batch-mates are unaffected.
 *
 * Outside a worker thread (imported by the main thread, say for a virtual
 * pool in tests) it only checks and returns the tasks.
 *
 * @param tasks - The tasks, by name. Each must be a function.
 * @returns `tasks`, unchanged.
 * @throws InvalidOptionError when `tasks` is not an object of functions.
 */
export function exposeTasks<T extends TaskMap>(tasks: T): T {
  checkTasks(tasks);
  // A port exists only in a worker (a Node worker thread or a Web Worker), as threads.js's `isWorkerRuntime()`
  // says; threads.js's ES module entry (what browser bundlers load) does not export that function.
  const port = masterPort();
  if (port) {
    // Listen before `expose` tells the master we are ready.
    port.listen((data) => {
      if ((data as Partial<RunMessage> | null)?.type === RUN) runBatch(tasks, port, data as RunMessage);
    });
    const api: WorkerApi = { tasks: () => Object.keys(tasks) };
    expose(api as unknown as Parameters<typeof expose>[0]);
  }
  return tasks;
}

function runBatch(tasks: TaskMap, port: MasterPort, message: RunMessage): void {
  const run = new BatchRun(tasks, message);
  const settled = run.next(0);
  if (settled === true) reply(port, run);
  else void settled.then(() => reply(port, run));
}

/** Posts a batch's outcomes; a result that cannot be cloned becomes that request's error alone. */
function reply(port: MasterPort, run: BatchRun): void {
  const { batch } = run.message;
  try {
    port.post({ type: DONE, batch, values: run.values, failures: run.failures } satisfies DoneMessage, run.transferables);
    return;
  } catch (failure) {
    for (let at = 0; at < run.values.length; at++) {
      try {
        structuredClone(run.values[at]);
      } catch (error) {
        run.values[at] = undefined;
        run.fail(at, { at, error: serializeError(error), uncloneable: true });
      }
    }
    try {
      port.post({ type: DONE, batch, values: run.values, failures: run.failures } satisfies DoneMessage, run.transferables.filter((item) => isCloneable(item)));
    } catch {
      const failures = run.values.map((_, at): WireFailure => ({ at, error: serializeError(failure), uncloneable: true }));
      port.post({ type: DONE, batch, values: [], failures } satisfies DoneMessage);
    }
  }
}

/**
 * One batch running in the worker: its requests one after another,
 * synchronously until a task returns a promise. Buffers that tasks marked
 * with `transfer()` are collected in `transferables`.
 */
export class BatchRun {
  readonly values: unknown[];
  failures: WireFailure[] | undefined;
  readonly transferables: Transferable[] = [];

  constructor(
    private readonly tasks: TaskMap,
    readonly message: RunMessage,
  ) {
    this.values = new Array<unknown>(message.args.length);
  }

  /** Records a failure (keeping `failures` in position order). */
  fail(at: number, failure: WireFailure): void {
    const failures = (this.failures ??= []);
    let i = failures.length;
    while (i > 0 && failures[i - 1].at > at) i--;
    failures.splice(i, 0, failure);
  }

  /** Runs from position `from` on; `true` when done, else a promise of the rest. */
  next(from: number): true | Promise<void> {
    const { tasks: names, args, spread } = this.message;
    for (let at = from; at < args.length; at++) {
      const name = typeof names === 'string' ? names : names[at];
      const task = Object.hasOwn(this.tasks, name) ? this.tasks[name] : undefined;
      if (!task) {
        this.fail(at, { at, error: { name: 'UnknownTaskError', message: `unknown task "${name}"` }, unknownTask: Object.keys(this.tasks) });
        continue;
      }
      let value: unknown;
      try {
        value = spread ? task(...(args[at] as unknown[])) : task(args[at]);
      } catch (error) {
        this.fail(at, { at, error: serializeError(error) });
        continue;
      }
      if (isThenable(value)) return this.await(at, value);
      this.values[at] = unwrapTransfer(value, this.transferables);
    }
    return true;
  }

  private async await(at: number, pending: PromiseLike<unknown>): Promise<void> {
    try {
      this.values[at] = unwrapTransfer(await pending, this.transferables);
    } catch (error) {
      this.fail(at, { at, error: serializeError(error) });
    }
    const rest = this.next(at + 1);
    if (rest !== true) await rest;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
