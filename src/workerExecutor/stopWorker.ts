/**
 * Stopping a worker within its time limit: the module's `teardown`
 * first (only for a worker stopped while idle), then the runtime's `kill`. Either
 * can hang (a teardown awaiting a server that is gone, a worker stuck in a
 * native call), so each gets at most the pool's `terminateTimeout`, after
 * which the pool stops waiting and moves on.
 *
 * @module
 */
import { withDeadline } from '../deadline.js';
import type { RuntimeWorker } from './runtime.js';

/**
 * Stops `worker`: runs `teardown` (when given) and then terminates it, each
 * for at most `limit` ms. A teardown that fails is reported as a process
 * warning naming worker #`number`. Resolves when both are done or given up
 * on; never rejects.
 */
export async function stopWorker(worker: RuntimeWorker, teardown: (() => PromiseLike<void>) | undefined, limit: number, number: number): Promise<void> {
  if (teardown) {
    // An idle worker does not keep the process alive: its teardown does, until it ends or times out.
    worker.hold(true);
    const done = Promise.resolve()
      .then(teardown)
      .catch((error: unknown) => {
        if (typeof process === 'object') process.emitWarning(`rxjs-threadpool: teardown of worker #${number} failed: ${String(error)}`);
      });
    await withDeadline(done, limit);
  }
  await withDeadline(
    Promise.resolve().then(() => worker.kill()),
    limit,
  );
}
