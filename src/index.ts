/**
 * `rxjs-threadpool`: worker pools for RxJS pipelines.
 *
 * @packageDocumentation
 */
export { createPool, type PoolOptions } from './createPool.js';
export { type DismissOptions, type PipelineStats, Pool, type PoolStats } from './Pool.js';
export type { Percentiles } from './timing.js';
export { type PollOptions, type PutOptions, ThreadPool, type ThreadPoolDismissOptions, type ThreadPoolOptions } from './ThreadPool.js';
export { type ArgsOf, isWorkRequest, makeRequests, printError, type WorkRequest, workRequest } from './requests.js';
export { type Failure, isFailure, isProgress, isResult, type Outcome, type Progress, type Result } from './outcomes.js';
export type { Task, TaskArgs, TaskInput, TaskMap, TaskName, TaskProgress, TaskResult } from './tasks.js';
export type { WorkerFactory, WorkerLike, WorkerSource } from './threads/workerSource.js';
export {
  DataCloneError,
  InvalidOptionError,
  NoResultsPending,
  NoWorkersAvailable,
  QueueConnectionError,
  QueueFullError,
  PoolClosedError,
  PoolError,
  type PoolErrorCode,
  TaskCancelledError,
  TaskError,
  TaskTimeoutError,
  UnknownTaskError,
  WorkerCrashedError,
  WorkerStartError,
} from './errors.js';
