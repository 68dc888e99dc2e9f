/**
 * The `queue` option: a bound on the requests of one pipeline waiting for a
 * worker, and what happens to a request that arrives when it is reached.
 * Either way every request still gets exactly one outcome.
 *
 * @module
 */
import { QueueFullError } from '../../src/errors.js';
import type { WorkRequest } from '../../src/requests.js';
import type { Pipeline } from '../../src/scheduler/pipeline.js';

/** What `queue.overflow` may be. */
export const OVERFLOW_POLICIES = ['error', 'drop-newest', 'drop-oldest'] as const;

/** The `queue` option, checked: `size` at least 1, `overflow` one of {@link OVERFLOW_POLICIES}. */
export interface QueueBound {
  /** The most requests of the pipeline waiting for a worker. */
  readonly size: number;
  /** What happens to a request that arrives when `size` are waiting. */
  readonly overflow: (typeof OVERFLOW_POLICIES)[number];
}

/**
 * Makes room in the pipeline's queue for an arriving request, by the bound's
 * policy. `'error'` and `'drop-newest'` end the arriving request with
 * `QueueFullError` (reasons `'full'` and `'dropped'`) and return false: it
 * is not to be queued. `'drop-oldest'` ends the longest-waiting request
 * with `QueueFullError` (reason `'dropped'`) and returns true.
 */
export function makeRoom(bound: QueueBound, pipeline: Pipeline, request: WorkRequest<readonly unknown[]>, sequence: number): boolean {
  const { size, overflow } = bound;
  if (pipeline.queued < size) return true;
  if (overflow === 'drop-oldest') {
    pipeline.dropOldest((dropped) => new QueueFullError(size, dropped.id, 'dropped'));
    return true;
  }
  pipeline.refuse(request, sequence, new QueueFullError(size, request.id, overflow === 'error' ? 'full' : 'dropped'));
  return false;
}
