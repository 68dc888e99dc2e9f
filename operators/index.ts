/**
 * `rxjs-threadpool/operators`: the RxJS operators. {@link poolMap} runs
 * each source value as a request on a pool and emits one outcome per
 * request; {@link results}, {@link errors}, {@link progress} and
 * {@link splitOutcomes} take its output apart; {@link pullFrom} makes a
 * source that `poolMap` pulls from only as fast as it has room.
 *
 * @module rxjs-threadpool/operators
 */
export { errors } from './errors.js';
export type { BatchSize } from '../src/scheduler/batchSizing.js';
export { poolMap, type PoolMapInput, type PoolMapOptions, type PoolMapOutcome, type PoolMapProgress } from './poolMap.js';
export { poolPipe, type PoolPipeOptions, type StreamTaskInput, type StreamTaskName, type StreamTaskOutput } from './poolPipe.js';
export { progress } from './progress.js';
export { type PullSource, pullFrom } from './pullFrom.js';
export { results } from './results.js';
export { type SplitOutcomes, splitOutcomes, type SplitStreamOutcomes } from './splitOutcomes.js';
