/**
 * `rxjs-threadpool`: worker pools for RxJS pipelines. The pool
 * ({@link createPool}), requests and outcomes, the seed's imperative
 * {@link ThreadPool}, the task-map types, and the errors. The operators are
 * in `rxjs-threadpool/operators`, the worker side in
 * `rxjs-threadpool/worker`, the virtual pool for marble tests in
 * `rxjs-threadpool/marbles`.
 *
 * @module rxjs-threadpool
 */
export { createPool } from './createPool.js';
export type { PoolOptions } from './workerPool.js';
export { type AsyncDisposal, type CloseOptions, type DismissOptions, Pool } from './Pool.js';
export type { PoolEvent, WorkerExitReason, WorkerRecycleReason } from './events.js';
export type { PoolSize } from './poolSize.js';
export type { PipelineStats, PoolStats, WorkerLoad } from './poolStats.js';
export type { Percentiles } from './timing.js';
export { type PollOptions, type PutOptions, ThreadPool, type ThreadPoolDismissOptions, type ThreadPoolOptions } from './ThreadPool.js';
export { type ArgsOf, isWorkRequest, makeRequests, printError, type WorkRequest, workRequest } from './requests.js';
export {
  type Failure,
  isFailure,
  isProgress,
  isResult,
  type Outcome,
  type Progress,
  type Result,
  type StreamFailure,
  type StreamOutcome,
  type StreamResult,
} from './outcomes.js';
export type { Task, TaskArgs, TaskContext, TaskInput, TaskMap, TaskName, TaskProgress, TaskResult } from './tasks.js';
export type { Key } from './keys.js';
export type { EventEmitterWorker, EventTargetWorker, ResourceLimits, WorkerFactory, WorkerLike, WorkerSource } from './threads/workerSource.js';
export type { Transferable } from './transfer.js';
export type { SerializedError } from './wire.js';
export {
  CallbackError,
  DataCloneError,
  type FailureError,
  InvalidOptionError,
  NoResultsPending,
  NoWorkersAvailable,
  QueueConnectionError,
  QueueFullError,
  PoolClosedError,
  PoolError,
  type PoolErrorCode,
  ProtocolError,
  TaskCancelledError,
  TaskError,
  TaskTimeoutError,
  UnknownTaskError,
  WorkerCrashedError,
  WorkerStartError,
} from './errors.js';
