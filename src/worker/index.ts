/**
 * `rxjs-threadpool/worker`: what a worker module imports.
 *
 * @packageDocumentation
 */
export { exposeTasks } from './exposeTasks';
export type { Task, TaskMap } from '../tasks';
