/**
 * What travels in a BullMQ job between a queue pool and a worker host: a
 * batch of requests in the job's data, one outcome per request in its return
 * value. Both are JSON (BullMQ stores jobs as JSON).
 *
 * @module
 */
import type { SerializedError } from '../protocol.js';

/** The data of a job: a batch of requests, compact as the thread protocol's run message. */
export interface QueueJobData {
  /** Format version. */
  readonly v: 1;
  /** One task name when the batch has one task, else one per request. */
  readonly tasks: string | readonly string[];
  /** Each request's single argument (`spread: false`), else its argument list. */
  readonly args: readonly unknown[];
  readonly spread: boolean;
  /** The requests' `timeout` (ms): the host ends a request running longer with `TaskTimeoutError`. */
  readonly timeout?: number;
}

/** How a request failed on the host. */
export type QueueFailureKind = 'task' | 'unknown-task' | 'timeout' | 'crashed' | 'other';

/** A failed request in a {@link QueueJobResult}. */
export interface QueueFailure {
  /** Its position in the batch. */
  readonly at: number;
  readonly kind: QueueFailureKind;
  /** The task's own error (`kind: 'task'`), else the host's error. */
  readonly error: SerializedError;
  /** For `unknown-task`: the names the module exposes. */
  readonly known?: readonly string[];
}

/** The return value of a job: results by position (failed positions are `null`), the failures, and the thread time. */
export interface QueueJobResult {
  readonly values: readonly unknown[];
  readonly failures?: readonly QueueFailure[];
  /**
   * About how long the batch's requests took in the host's threads, in ms:
   * the time their batches spent in a worker (awaits included), averaged
   * per request over the host's recent batches of the task. What `'auto'`
   * sizes batches by. Not the job's wall time on the host, which grows with
   * the host's load. Absent while the host has no measure of the task.
   */
  readonly ms?: number;
}
