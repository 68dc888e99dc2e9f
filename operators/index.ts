/**
 * `rxjs-threadpool/operators`: the RxJS operators.
 *
 * @packageDocumentation
 */
export { errors } from './errors.js';
export { poolMap, type PoolMapInput, type PoolMapOptions, type PoolMapOutcome, type PoolMapProgress } from './poolMap.js';
export { progress } from './progress.js';
export { type PullSource, pullFrom } from './pullFrom.js';
export { results } from './results.js';
export { type SplitOutcomes, splitOutcomes } from './splitOutcomes.js';
