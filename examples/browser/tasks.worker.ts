/**
 * The browser example's worker module. Each pool worker (a real Web Worker)
 * loads the bundle built from this file: `exposeTasks` answers the pool
 * through the worker's global scope (`self.postMessage`,
 * `self.addEventListener('message')`).
 */
import { exposeTasks } from '../../src/worker';
import { countPrimes } from '../primes';

export { InvalidLimitError } from '../primes';

/** Names this worker in results, so the page can count the workers that did the work. */
const workerId = Math.random().toString(36).slice(2, 10);

export const tasks = exposeTasks({
  /**
   * Counts the primes in [2, limit] by trial division (deliberately slow),
   * and says where it ran: the global scope's class (`DedicatedWorkerGlobalScope`
   * in a Web Worker, `Window` on the page) and which worker.
   *
   * @throws InvalidLimitError unless `limit` is a non-negative integer.
   */
  countPrimes(limit: number): { count: number; scope: string; inWorker: boolean; worker: string } {
    const count = countPrimes(limit);
    const scope = globalThis as { constructor: { name: string }; WorkerGlobalScope?: unknown };
    return { count, scope: scope.constructor.name, inWorker: typeof scope.WorkerGlobalScope !== 'undefined', worker: workerId };
  },
});

export type Tasks = typeof tasks;
