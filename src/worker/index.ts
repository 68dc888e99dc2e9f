/**
 * `rxjs-threadpool/worker`: what a worker module imports.
 *
 * @packageDocumentation
 */
export { exposeTasks, type WorkerOptions } from './exposeTasks';
export { transfer } from '../transfer';
export type { Task, TaskMap } from '../tasks';
