// rxjs-threadpool's worker, loaded from the compiled package (npm run bench builds it first).
import { exposeTasks } from '../../src/worker';
import { burn, inc, sum } from '../tasks';

export const tasks = exposeTasks({ inc, burn, sum });
export type Tasks = typeof tasks;
