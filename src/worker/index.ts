/**
 * `rxjs-threadpool/worker`: what a worker module imports.
 *
 * @packageDocumentation
 */
export { exposeTasks } from './exposeTasks';
export { transfer } from '../transfer';
export type { Task, TaskMap } from '../tasks';
