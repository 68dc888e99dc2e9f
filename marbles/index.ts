/**
 * `rxjs-threadpool/marbles`: a virtual-time pool for marble tests of
 * pipelines that use `poolMap`, without threads.
 *
 * @packageDocumentation
 */
export { createVirtualPool, type VirtualPoolOptions } from './createVirtualPool.js';
export type { VirtualDuration } from './VirtualExecutor.js';
