/**
 * `rxjs-threadpool/operators`: the RxJS operators.
 *
 * @packageDocumentation
 */
export { errors } from './errors';
export { poolMap, type PoolMapInput, type PoolMapOptions, type PoolMapOutcome, type PoolMapProgress } from './poolMap';
export { progress } from './progress';
export { type PullSource, pullFrom } from './pullFrom';
export { results } from './results';
export { type SplitOutcomes, splitOutcomes } from './splitOutcomes';
