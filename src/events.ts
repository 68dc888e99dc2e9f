/**
 * What `pool.events$` tells: the life of the pool's workers, its queue
 * overflowing and emptying, and its close.
 *
 * @module
 */

/**
 * Why a worker left without crashing: it sat idle past `idleTimeout`, was
 * dismissed (`dismissWorkers`, a smaller size), was terminated under a
 * request that timed out or was cancelled with `cancel: 'terminate'`, or the
 * pool closed.
 *
 * @category Pools
 */
export type WorkerExitReason = 'idle' | 'dismissed' | 'terminated' | 'closed';

/**
 * Why a worker was replaced between batches: it ran `maxTasksPerWorker`
 * requests, its heap outgrew `maxHeapPerWorkerMb`, or it sent a message that
 * failed the checks (it can no longer be trusted).
 *
 * @category Pools
 */
export type WorkerRecycleReason = 'maxTasksPerWorker' | 'maxHeapPerWorkerMb' | 'untrusted';

/**
 * Something that happened to a pool, from {@link Pool.events$}. Workers are
 * named by the pool's number for them (1, 2, … in the order they started,
 * as in error messages). Every worker that started ends with exactly one of
 * `workerExited`, `workerCrashed` or `workerRecycled`.
 *
 * - `workerStarted`: a worker is up (its module loaded, `setup` done).
 * - `workerExited`: it left without crashing; `reason` says why.
 * - `workerCrashed`: it died on its own (exit, an uncaught error, out of
 *   memory); `reason` says how, `cause` is what it died of, when known. The
 *   requests it ran are rerun or failed as usual.
 * - `workerRecycled`: it was replaced between batches; `reason` says why.
 * - `workerOutput`: a line a worker wrote to stdout or stderr, when the pool
 *   captures them (`stdout: 'events'`, `stderr: 'events'`).
 * - `queueFull`: a request found a queue full and ended with
 *   `QueueFullError` (or, with `overflow: 'drop-oldest'`, made another
 *   end so): which queue (`'pipeline'`, named as in `stats.pipelines`, or
 *   the pool's `'pool'`), its bound, the request, and the policy's reason.
 * - `drained`: the pool went idle: no request is queued or running any more
 *   (once per burst of work, not per request).
 * - `closing`: `close()` was called (`drain`: whether it lets the work in
 *   hand finish).
 * - `closed`: every worker has been terminated; `events$` completes after it.
 *
 * @category Pools
 */
export type PoolEvent =
  | {
      /** A worker is up. */
      readonly type: 'workerStarted';
      /** The pool's number for it. */
      readonly worker: number;
    }
  | {
      /** A worker left without crashing. */
      readonly type: 'workerExited';
      /** The pool's number for it. */
      readonly worker: number;
      /** Why it left. */
      readonly reason: WorkerExitReason;
    }
  | {
      /** A worker died on its own. */
      readonly type: 'workerCrashed';
      /** The pool's number for it. */
      readonly worker: number;
      /** How it died ("exited with code 3", "threw an uncaught error outside its task", …). */
      readonly reason: string;
      /** What it died of (its error), when known. */
      readonly cause?: unknown;
    }
  | {
      /** A worker was replaced between batches. */
      readonly type: 'workerRecycled';
      /** The pool's number for it. */
      readonly worker: number;
      /** Why it was replaced. */
      readonly reason: WorkerRecycleReason;
    }
  | {
      /** A worker wrote a line (captured output). */
      readonly type: 'workerOutput';
      /** The pool's number for it. */
      readonly worker: number;
      /** Where it wrote it. */
      readonly stream: 'stdout' | 'stderr';
      /** The line, without its line break. */
      readonly text: string;
    }
  | {
      /** A request found a queue full. */
      readonly type: 'queueFull';
      /** Which queue: a pipeline's own bound, or the pool's `maxQueue`. */
      readonly queue: 'pipeline' | 'pool';
      /** The pipeline the request came through, named as in `stats.pipelines`. */
      readonly pipeline: string;
      /** The queue's bound. */
      readonly size: number;
      /** The request that ended with `QueueFullError`. */
      readonly requestId: number;
      /** `'full'`: the arriving request was refused; `'dropped'`: a request was dropped by the overflow policy. */
      readonly reason: 'full' | 'dropped';
    }
  | {
      /** Nothing is queued or running any more. */
      readonly type: 'drained';
    }
  | {
      /** `close()` was called. */
      readonly type: 'closing';
      /** Whether the work in hand may finish first (`close({ drain: true })`). */
      readonly drain: boolean;
    }
  | {
      /** Every worker has been terminated. */
      readonly type: 'closed';
    };

/** What an executor tells of its workers (the pool adds the rest). */
export type WorkerEvent = Extract<PoolEvent, { readonly worker: number }>;
