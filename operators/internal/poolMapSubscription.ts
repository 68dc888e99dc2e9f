/**
 * One subscription of a `poolMap` pipeline, put together: a pipeline on the
 * pool; the source, fed by a `SourceFeed` (pushed, or pulled while there is
 * room), each value going to the {@link RequestSubmitter}; the
 * outcomes the pipeline delivers, passed on at once or, with `ordered`, through
 * a {@link ReorderBuffer}; and the end: completion when the source is done
 * and every outcome is out, or cancellation (see `cancellation`).
 *
 * @module
 */
import type { Observable, Subscriber } from 'rxjs';
import type { Outcome, Progress } from '../../src/outcomes.js';
import type { Pool } from '../../src/Pool.js';
import type { WorkRequest } from '../../src/requests.js';
import type { Deliver } from '../../src/scheduler/pipeline.js';
import type { TaskMap } from '../../src/tasks.js';
import { abortedAtStart } from './cancellation.js';
import type { ResolvedPoolMapOptions } from './options.js';
import { ReorderBuffer } from './reorderBuffer.js';
import { CountedEmitter } from './countedEmitter.js';
import { RequestSubmitter } from './requestSubmitter.js';
import { SourceFeed } from './sourceFeed.js';

/** What a `poolMap` subscription emits. */
type PoolMapItem = Outcome<readonly unknown[]> | Progress<readonly unknown[]>;

/**
 * Runs `task` on `pool` for each value of `source`, emitting one outcome per
 * request (and progress items, with `progress`) to `subscriber`: the body of
 * the Observable `poolMap` returns.
 */
export function subscribePoolMap(
  pool: Pool<TaskMap>,
  task: string,
  options: ResolvedPoolMapOptions,
  source: Observable<unknown>,
  subscriber: Subscriber<PoolMapItem>,
): void {
  const { signal, orderedBuffer, queue, transfer, key, progress } = options;
  if (abortedAtStart(signal, subscriber)) return;
  let sourceDone = false;
  const completeIfDone = (): void => {
    if (sourceDone && emitter.emitting === 0 && pipeline.pending === 0 && (reorder?.size ?? 0) === 0) subscriber.complete();
  };
  /** Outcomes being emitted now: a source completed from inside an emission (a feedback loop) waits for it to be out. */
  const emitter = new CountedEmitter<Outcome<readonly unknown[]>>(subscriber, completeIfDone);
  const { emit } = emitter;
  const reorder = orderedBuffer === 0 ? undefined : new ReorderBuffer(emit);
  const deliver: Deliver = reorder
    ? (outcome, ticket) => {
        if (reorder.add(outcome, ticket)) pipeline.wake();
      }
    : emit;
  const feed = new SourceFeed(source);
  const pipeline = pool.openPipeline(task, deliver, {
    ...options.pipeline,
    // A pulled source is never overflowed: it is pulled only while there is room.
    ...(queue && !feed.pulled ? { queue } : {}),
    // While the reorder buffer is full (outcomes running or held back), no further request starts.
    ...(reorder ? { gate: () => pipeline.running + reorder.size < orderedBuffer } : {}),
    ...(feed.pulled ? { dequeued: feed.pull } : {}),
    ...(progress ? { progress: (request: WorkRequest<readonly unknown[]>, value: unknown) => subscriber.next({ request, progress: value }) } : {}),
  });
  const requests = new RequestSubmitter(pipeline, task, transfer, key, undefined, undefined, options.priorityOf);
  const endSource = (): void => {
    sourceDone = true;
    completeIfDone();
  };
  feed.start(subscriber, requests, pipeline, queue?.size, signal, endSource);
}
