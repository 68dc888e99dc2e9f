/**
 * `rxjs-threadpool/worker`: what a worker module imports.
 *
 * @packageDocumentation
 */
export { exposeTasks, type WorkerOptions } from './exposeTasks.js';
export { transfer } from '../transfer.js';
export type { Task, TaskMap } from '../tasks.js';
