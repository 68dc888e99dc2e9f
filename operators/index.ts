/**
 * `rxjs-threadpool/operators`: the RxJS operators.
 *
 * @packageDocumentation
 */
export { errors } from './errors';
export { poolMap, type PoolMapInput, type PoolMapOptions, type PoolMapOutcome } from './poolMap';
export { results } from './results';
export { type SplitOutcomes, splitOutcomes } from './splitOutcomes';
