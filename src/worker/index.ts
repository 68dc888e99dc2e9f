/**
 * `rxjs-threadpool/worker`: what a worker module imports.
 * {@link exposeTasks} declares the module's tasks; {@link transfer} moves a
 * result's buffers to the main thread instead of copying them.
 *
 * @module rxjs-threadpool/worker
 */
export { exposeTasks, type WorkerOptions } from './exposeTasks.js';
export { type StreamOperator, type StreamTask, streamTask } from './streamTask.js';
export { transfer } from '../transfer.js';
export type { Task, TaskContext, TaskMap } from '../tasks.js';
export type { Key } from '../keys.js';
export type { Transferable } from '../transfer.js';
