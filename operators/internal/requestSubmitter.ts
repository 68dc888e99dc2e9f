/**
 * Where each source value of a `poolMap` pipeline becomes a request on the
 * pool: the one place on a value's path that builds its `WorkRequest` and
 * queues it on the pipeline, or, when the request cannot be queued (its
 * `key`, `priority` or `transfer` callback threw or returned a bad value), ends it at
 * once with its one outcome. Nothing thrown for one request reaches the
 * stream.
 *
 * @module
 */
import { CallbackError, describeValue } from '../../src/errors.js';
import { type Key, keyProblem } from '../../src/keys.js';
import { isWorkRequest, workRequest } from '../../src/requests.js';
import type { Pipeline } from '../../src/scheduler/pipeline.js';
import type { Transferable } from '../../src/transfer.js';
import type { KeyCallback, PriorityCallback, TransferCallback } from './options.js';

/** Turns the source values of one subscription into requests on its pipeline, numbering them in arrival order. */
export class RequestSubmitter {
  /** Requests submitted so far: the next one's ticket (its place in ordered output). */
  private arrivals = 0;

  /**
   * @param pipeline - The subscription's pipeline on the pool (it applies the `queue` option).
   * @param task - The task every request runs.
   * @param transfer - The `transfer` option, when given.
   * @param key - The `key` option, when given.
   * @param keyed - Told each queued request's ticket and key (when keyed), before it is queued.
   * @param fixedKey - The key of every request when there is no `key` option (a stream without keys).
   * @param priorityOf - The `priority` option, when it is a function.
   */
  constructor(
    private readonly pipeline: Pipeline,
    private readonly task: string,
    private readonly transfer: TransferCallback | undefined,
    private readonly key: KeyCallback | undefined,
    private readonly keyed?: (ticket: number, key: Key) => void,
    private readonly fixedKey?: Key,
    private readonly priorityOf?: PriorityCallback,
  ) {}

  /**
   * One source value in: a `WorkRequest` keeps its id and arguments, any
   * other value is the single argument of a new request. The request is
   * queued, or ends at once with its one outcome: `CallbackError` when
   * `key` threw or returned something that is not a key, or `transfer`
   * threw or returned something that is not an array; `QueueFullError` when
   * the queue's overflow policy refuses it.
   */
  submit(value: unknown): void {
    const request = isWorkRequest(value) ? value : workRequest([value]);
    const ticket = this.arrivals++;
    let key: Key | undefined = this.fixedKey;
    if (this.key) {
      try {
        const { args } = request;
        // One argument (a plain source value) is called without spreading: the path every request of a keyed pipeline takes.
        key = keyOf(args.length === 1 ? (this.key as (arg: unknown) => unknown)(args[0]) : this.key(...(args as never)));
      } catch (error) {
        this.pipeline.refuse(request, ticket, new CallbackError('key', request.id, error));
        return;
      }
    }
    let transferables: readonly Transferable[] | undefined;
    if (this.transfer) {
      try {
        transferables = transferList(this.transfer(...(request.args as never)));
      } catch (error) {
        this.pipeline.refuse(request, ticket, new CallbackError('transfer', request.id, error));
        return;
      }
    }
    let priority = 0;
    if (this.priorityOf) {
      try {
        priority = priorityValue(this.priorityOf(...(request.args as never)));
      } catch (error) {
        this.pipeline.refuse(request, ticket, new CallbackError('priority', request.id, error));
        return;
      }
    }
    if (key !== undefined) this.keyed?.(ticket, key);
    this.pipeline.submit(request, ticket, this.task, transferables, key, priority);
  }
}

/** What a `key` function returned, checked: a string or a finite number. */
function keyOf(returned: unknown): Key {
  const problem = keyProblem(returned);
  if (problem !== undefined) throw new TypeError(`it returned ${problem}, not a key (a string or a finite number)`);
  return returned as Key;
}

/** What a `priority` function returned, checked: a finite number. */
function priorityValue(returned: unknown): number {
  if (typeof returned !== 'number' || !Number.isFinite(returned))
    throw new TypeError(`it returned ${describeValue(returned)}, not a priority (a finite number)`);
  return returned;
}

/** What a `transfer` function returned, checked: an array (`undefined` when there is nothing to move). */
function transferList(returned: unknown): readonly Transferable[] | undefined {
  if (!Array.isArray(returned)) throw new TypeError(`it returned ${describeValue(returned)}, not an array of transferables`);
  return returned.length === 0 ? undefined : (returned as Transferable[]);
}
