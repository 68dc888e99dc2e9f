// The worker module the producer-restart measurement's hosts serve: each run of a request is written down.
import { appendFileSync } from 'node:fs';
import { exposeTasks } from '../../src/worker';

/** Where each run is written (one line per run: the request's number), set by bench/restart.ts for its hosts. */
const runLog = process.env.RXJS_THREADPOOL_RESTART_LOG;

export const tasks = exposeTasks({
  /** Busy-waits about `ms` milliseconds, writes `i` to the run log, and returns it. */
  mark(i: number, ms: number): number {
    const end = performance.now() + ms;
    while (performance.now() < end);
    if (runLog) appendFileSync(runLog, `${i}\n`);
    return i;
  },
});
export type RestartTasks = typeof tasks;
