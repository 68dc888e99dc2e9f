/**
 * `exposeTasks`: the worker side of a pool.
 *
 * @module
 */
import { expose, isWorkerRuntime, Transfer } from 'threads/worker';
import { checkTasks } from '../checks';
import { serializeError, type WireJob, type WireOutcome, type WorkerApi } from '../protocol';
import type { TaskMap } from '../tasks';
import { unwrapTransfer } from '../transfer';

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
 * Tasks may be sync or async; a worker runs one request at a time. What a
 * task throws (or rejects with) becomes that request's `TaskError`, with the
 * error's name, message, stack and `code`.
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
  if (isWorkerRuntime()) {
    const api: WorkerApi = { run: (jobs) => withTransfer(runJobs(tasks, jobs)), tasks: () => Object.keys(tasks) };
    expose(api as unknown as Parameters<typeof expose>[0]);
  }
  return tasks;
}

/** Moves the buffers that tasks marked with `transfer()`, instead of copying them. */
function withTransfer(outcomes: WireOutcome[] | Promise<WireOutcome[]>): WireOutcome[] | Promise<WireOutcome[]> {
  if (!Array.isArray(outcomes)) return outcomes.then(withTransfer);
  let transferables: Transferable[] | undefined;
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i];
    if (!outcome.ok || typeof outcome.value !== 'object' || outcome.value === null) continue;
    transferables ??= [];
    const value = unwrapTransfer(outcome.value, transferables);
    if (value !== outcome.value) outcomes[i] = { ok: true, value };
  }
  return transferables && transferables.length > 0 ? (Transfer(outcomes, transferables) as unknown as WireOutcome[]) : outcomes;
}

/**
 * Runs a batch one job after another and returns one outcome per job. Stays
 * synchronous until a task returns a promise.
 */
export function runJobs(tasks: TaskMap, jobs: readonly WireJob[]): WireOutcome[] | Promise<WireOutcome[]> {
  const outcomes: WireOutcome[] = [];
  for (let i = 0; i < jobs.length; i++) {
    const [name, args] = jobs[i];
    const task = Object.hasOwn(tasks, name) ? tasks[name] : undefined;
    if (!task) {
      outcomes.push({ ok: false, error: { name: 'UnknownTaskError', message: `unknown task "${name}"` }, unknownTask: Object.keys(tasks) });
      continue;
    }
    let value: unknown;
    try {
      value = task(...args);
    } catch (error) {
      outcomes.push({ ok: false, error: serializeError(error) });
      continue;
    }
    if (isThenable(value)) return finishAsync(tasks, jobs, i, value, outcomes);
    outcomes.push({ ok: true, value });
  }
  return outcomes;
}

async function finishAsync(tasks: TaskMap, jobs: readonly WireJob[], at: number, pending: PromiseLike<unknown>, outcomes: WireOutcome[]): Promise<WireOutcome[]> {
  try {
    outcomes.push({ ok: true, value: await pending });
  } catch (error) {
    outcomes.push({ ok: false, error: serializeError(error) });
  }
  const rest = await runJobs(tasks, jobs.slice(at + 1));
  for (const outcome of rest) outcomes.push(outcome);
  return outcomes;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
