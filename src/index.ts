/**
 * `rxjs-threadpool`: worker pools for RxJS pipelines.
 *
 * @packageDocumentation
 */
export { createPool, type PoolOptions } from './createPool';
export { type DismissOptions, type PipelineStats, Pool, type PoolStats } from './Pool';
export type { Percentiles } from './timing';
export { type PollOptions, type PutOptions, ThreadPool, type ThreadPoolDismissOptions, type ThreadPoolOptions } from './ThreadPool';
export { type ArgsOf, isWorkRequest, makeRequests, printError, type WorkRequest, workRequest } from './requests';
export { type Failure, isFailure, isProgress, isResult, type Outcome, type Progress, type Result } from './outcomes';
export type { Task, TaskArgs, TaskInput, TaskMap, TaskName, TaskProgress, TaskResult } from './tasks';
export type { WorkerFactory, WorkerLike, WorkerSource } from './threads/workerSource';
export {
  DataCloneError,
  InvalidOptionError,
  NoResultsPending,
  NoWorkersAvailable,
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
} from './errors';
