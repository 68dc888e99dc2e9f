// The soak's worker: cheap requests, some failing, some killing their worker.
import { exposeTasks } from '../../src/worker';

export const tasks = exposeTasks({
  step(n: number, kind: 0 | 1 | 2): number {
    if (kind === 1) throw new RangeError(`request ${n} fails on purpose`);
    if (kind === 2) process.exit(1);
    return n + 1;
  },
});
export type Tasks = typeof tasks;
