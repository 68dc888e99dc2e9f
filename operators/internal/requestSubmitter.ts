/**
 * Where each source value of a `poolMap` pipeline becomes a request on the
 * pool: the one place on a value's path that builds its `WorkRequest` and
 * queues it on the pipeline, or, when the request cannot be queued (its
 * `transfer` callback threw, the bounded queue is full), ends it at once
 * with its one outcome. Nothing thrown for one request reaches the stream.
 *
 * @module
 */
import { CallbackError, describeValue } from '../../src/errors.js';
import { isWorkRequest, workRequest } from '../../src/requests.js';
import type { Pipeline } from '../../src/scheduler/pipeline.js';
import type { Transferable } from '../../src/transfer.js';
import type { TransferCallback } from './options.js';
import { makeRoom, type QueueBound } from './queueOverflow.js';

/** Turns the source values of one subscription into requests on its pipeline, numbering them in arrival order. */
export class RequestSubmitter {
  /** Requests submitted so far: the next one's sequence number (its place in ordered output). */
  private arrivals = 0;

  /**
   * @param pipeline - The subscription's pipeline on the pool.
   * @param task - The task every request runs.
   * @param transfer - The `transfer` option, when given.
   * @param bound - The `queue` option, when it applies (a pulled source is never overflowed: it is pulled only while there is room).
   */
  constructor(
    private readonly pipeline: Pipeline,
    private readonly task: string,
    private readonly transfer: TransferCallback | undefined,
    private readonly bound: QueueBound | undefined,
  ) {}

  /**
   * One source value in: a `WorkRequest` keeps its id and arguments, any
   * other value is the single argument of a new request. The request is
   * queued, or ends at once with its one outcome: `CallbackError` when
   * `transfer` threw or returned something that is not an array,
   * `QueueFullError` when the queue's overflow policy refuses it.
   */
  submit(value: unknown): void {
    const request = isWorkRequest(value) ? value : workRequest([value]);
    const sequence = this.arrivals++;
    let transferables: readonly Transferable[] | undefined;
    if (this.transfer) {
      try {
        transferables = transferList(this.transfer(...(request.args as never)));
      } catch (error) {
        this.pipeline.refuse(request, sequence, new CallbackError('transfer', request.id, error));
        return;
      }
    }
    if (this.bound && !makeRoom(this.bound, this.pipeline, request, sequence)) return;
    this.pipeline.submit(request, sequence, this.task, transferables);
  }
}

/** What a `transfer` function returned, checked: an array (`undefined` when there is nothing to move). */
function transferList(returned: unknown): readonly Transferable[] | undefined {
  if (!Array.isArray(returned)) throw new TypeError(`it returned ${describeValue(returned)}, not an array of transferables`);
  return returned.length === 0 ? undefined : (returned as Transferable[]);
}
