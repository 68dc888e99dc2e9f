/**
 * `exposeTasks`: the worker side of a pool.
 *
 * @module
 */
import { expose, isWorkerRuntime } from 'threads/worker';
import { checkTasks } from '../checks';
import { DONE, isCloneable, RUN, type RunMessage, serializeError, type WireJob, type WireOutcome, type WorkerApi } from '../protocol';
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
  const port = isWorkerRuntime() ? masterPort() : undefined;
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

function runBatch(tasks: TaskMap, port: MasterPort, { batch, jobs }: RunMessage): void {
  const transferables: Transferable[] = [];
  const outcomes = runJobs(tasks, jobs, transferables);
  if (Array.isArray(outcomes)) reply(port, batch, outcomes, transferables);
  else void outcomes.then((settled) => reply(port, batch, settled, transferables));
}

/** Posts a batch's outcomes; a result that cannot be cloned becomes that request's error alone. */
function reply(port: MasterPort, batch: number, outcomes: WireOutcome[], transferables: Transferable[]): void {
  try {
    port.post({ type: DONE, batch, outcomes }, transferables);
    return;
  } catch (failure) {
    const checked = outcomes.map((outcome): WireOutcome => {
      if (!outcome.ok) return outcome;
      try {
        structuredClone(outcome.value);
        return outcome;
      } catch (error) {
        return { ok: false, error: serializeError(error), uncloneable: true };
      }
    });
    try {
      port.post({ type: DONE, batch, outcomes: checked }, transferables.filter((item) => isCloneable(item)));
    } catch {
      port.post({ type: DONE, batch, outcomes: outcomes.map((): WireOutcome => ({ ok: false, error: serializeError(failure), uncloneable: true })) });
    }
  }
}

/**
 * Runs a batch one job after another and returns one outcome per job. Stays
 * synchronous until a task returns a promise. Buffers that tasks marked with
 * `transfer()` are added to `transferables`.
 */
export function runJobs(tasks: TaskMap, jobs: readonly WireJob[], transferables: Transferable[], from = 0, outcomes: WireOutcome[] = []): WireOutcome[] | Promise<WireOutcome[]> {
  for (let i = from; i < jobs.length; i++) {
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
    if (isThenable(value)) return finishAsync(tasks, jobs, transferables, i, value, outcomes);
    outcomes.push({ ok: true, value: unwrapTransfer(value, transferables) });
  }
  return outcomes;
}

async function finishAsync(tasks: TaskMap, jobs: readonly WireJob[], transferables: Transferable[], at: number, pending: PromiseLike<unknown>, outcomes: WireOutcome[]): Promise<WireOutcome[]> {
  try {
    outcomes.push({ ok: true, value: unwrapTransfer(await pending, transferables) });
  } catch (error) {
    outcomes.push({ ok: false, error: serializeError(error) });
  }
  return runJobs(tasks, jobs, transferables, at + 1, outcomes);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
