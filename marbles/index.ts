/**
 * `rxjs-threadpool/marbles`: a virtual-time pool for marble tests of
 * pipelines that use `poolMap`, without threads. See
 * {@link createVirtualPool}.
 *
 * @module rxjs-threadpool/marbles
 */
export { createVirtualPool, type VirtualPoolOptions } from './createVirtualPool.js';
export type { VirtualDuration } from './VirtualExecutor.js';
