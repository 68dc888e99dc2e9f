// The sessions example's worker: sessionize as a stream task, one instance per user.
import { exposeTasks, streamTask } from '../../src/worker';
import { sessionize } from './sessionize';

export const tasks = exposeTasks({ sessionize: streamTask(sessionize) });
export type Tasks = typeof tasks;
