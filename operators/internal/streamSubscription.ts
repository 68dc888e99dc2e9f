/**
 * One subscription of `poolPipe`: a keyed pipeline whose batches feed the
 * stream task's instances (one per key, in the worker that owns the key),
 * and a session on the executor through which the instances' outputs and
 * ends come back.
 *
 * What it keeps: the instances it fed, by key (their slot, how many values
 * were sent to them), for the outcome of a worker that ended under them,
 * and for `maxKeys`; the slots it fed, to drain or cancel them; each queued
 * value's key until its feed outcome.
 *
 * The end: when the source has completed and every value is fed, every
 * slot it fed drains (its instances' inputs complete, they flush and end);
 * the output completes once each has answered that it drained.
 *
 * @module
 */
import type { Observable, Subscriber } from 'rxjs';
import { type FailureError, InvalidOptionError, PoolClosedError, TaskError, WorkerCrashedError } from '../../src/errors.js';
import type { SlotId, StreamListener } from '../../src/executor.js';
import type { Key } from '../../src/keys.js';
import type { StreamOutcome } from '../../src/outcomes.js';
import type { Pool } from '../../src/Pool.js';
import type { QueuedJob } from '../../src/scheduler/jobQueue.js';
import type { TaskMap } from '../../src/tasks.js';
import { abortedAtStart } from './cancellation.js';
import type { ResolvedPoolPipeOptions } from './pipeOptions.js';
import { CountedEmitter } from './countedEmitter.js';
import { RequestSubmitter } from './requestSubmitter.js';
import { SourceFeed } from './sourceFeed.js';

/** The key every value has in a stream without keys (the operator is given none). */
const ONE_KEY = 0;

/** Sessions are numbered in the process: a worker keeps the instances of several apart. */
let lastSession = 0;

/** An instance the subscription fed: where it lives, how many values were sent to it (and of those, how many have no outcome yet), whether one was fed for sure. */
interface Instance {
  readonly slot: SlotId;
  sent: number;
  inFlight: number;
  confirmed: boolean;
}

/** Runs the stream task `task` of `pool` over `source`, emitting its outcomes to `subscriber`: the body of `poolPipe`'s Observable. */
export function subscribePoolPipe(
  pool: Pool<TaskMap>,
  task: string,
  options: ResolvedPoolPipeOptions,
  source: Observable<unknown>,
  subscriber: Subscriber<StreamOutcome>,
): void {
  const streams = pool.streams;
  if (!streams) {
    subscriber.error(
      new InvalidOptionError(
        'pool',
        'a queue pool',
        'a thread pool (createPool) or a virtual pool (createVirtualPool): stream tasks are local, their instances live in this process’s workers, not on queue hosts',
      ),
    );
    return;
  }
  const { signal, key, keyIdleTimeout, maxKeys, queue } = options;
  if (abortedAtStart(signal, subscriber)) return;
  const session = ++lastSession;
  const unkeyed = key === undefined;
  const keyOf = (internal: Key | undefined): Key | undefined => (unkeyed ? undefined : internal);
  const instances = new Map<Key, Instance>();
  const fedSlots = new Set<SlotId>();
  const keysByTicket = new Map<number, Key>();
  /** Values in flight to instances whose worker ended, by key: already counted in that instance's outcome, so their own outcomes are dropped. */
  const lostInFlight = new Map<Key, number>();
  let sourceDone = false;
  let draining: Set<SlotId> | undefined;

  const completeIfDone = (): void => {
    if (!sourceDone || emitter.emitting > 0 || pipeline.pending > 0 || subscriber.closed) return;
    if (!draining) {
      // Every value is fed: each slot that holds instances completes their inputs (they flush), and says when it drained.
      draining = new Set(fedSlots);
      for (const slot of [...draining]) streams.close(slot, session, undefined, false);
    }
    if (draining.size === 0) {
      streams.forget(session);
      subscriber.complete();
    }
  };
  const emitter = new CountedEmitter(subscriber, () => completeIfDone());
  const emit = (outcome: StreamOutcome): void => {
    if (!subscriber.closed) emitter.emit(outcome);
  };
  const fail = (internal: Key | undefined, error: FailureError): void => emit({ ok: false, key: keyOf(internal), error });

  const listener: StreamListener = {
    output: (keys, values) => {
      for (let i = 0; i < values.length; i++) emit({ ok: true, key: keyOf(keys[i]), value: values[i] });
    },
    ended: (slot, internal, error) => {
      if (instances.get(internal)?.slot === slot) instances.delete(internal);
      if (error) fail(internal, new TaskError(task, undefined, error, keyOf(internal)));
      else completeIfDone();
    },
    drained: (slot) => {
      draining?.delete(slot);
      completeIfDone();
    },
  };
  streams.listen(session, listener);

  /** The instance of `internal` was lost with its worker: one outcome, counting every value sent to it. */
  const reportLost = (internal: Key, instance: Instance): void => {
    if (instance.inFlight > 0) lostInFlight.set(internal, (lostInFlight.get(internal) ?? 0) + instance.inFlight);
    const error = pool.closed
      ? new PoolClosedError()
      : new WorkerCrashedError(undefined, 'ended while it held the instance (it crashed, or was dismissed, recycled or retired)', undefined, undefined, {
          key: keyOf(internal),
          fed: instance.sent,
        });
    fail(internal, error);
  };

  const started = (jobs: readonly QueuedJob[], slot: SlotId | undefined): void => {
    if (slot === undefined) return;
    fedSlots.add(slot);
    for (const job of jobs) {
      const internal = job.key!;
      let instance = instances.get(internal);
      if (instance && instance.slot === slot) {
        if (maxKeys !== undefined) {
          // Most recently fed last: the first is the idlest.
          instances.delete(internal);
          instances.set(internal, instance);
        }
      } else {
        instance = { slot, sent: 0, inFlight: 0, confirmed: false };
        instances.set(internal, instance);
        if (maxKeys !== undefined && instances.size > maxKeys) closeIdlest(internal);
      }
      instance.sent++;
      instance.inFlight++;
    }
  };
  /** `maxKeys` reached: the idlest instance completes (it flushes and ends; its key's next value starts a fresh one). */
  const closeIdlest = (except: Key): void => {
    for (const [internal, instance] of instances) {
      if (internal === except) continue;
      instances.delete(internal);
      streams.close(instance.slot, session, [internal], false);
      return;
    }
  };
  /** A value sent to the instance of `internal` was not fed after all (it did not start, or failed on the way). */
  const unfed = (internal: Key): void => {
    const instance = instances.get(internal);
    if (!instance) return;
    instance.inFlight--;
    if (!instance.confirmed && --instance.sent === 0) instances.delete(internal);
  };

  const deliver = (outcome: { ok: boolean; error?: FailureError }, ticket: number): void => {
    const internal = keysByTicket.get(ticket);
    keysByTicket.delete(ticket);
    if (outcome.ok) {
      const instance = internal === undefined ? undefined : instances.get(internal);
      if (instance) {
        instance.confirmed = true;
        instance.inFlight--;
      }
      completeIfDone();
      return;
    }
    const error = outcome.error!;
    // A value in flight when its worker ended is counted in that instance's outcome (reportLost).
    const lost = internal === undefined ? 0 : (lostInFlight.get(internal) ?? 0);
    if (lost > 0 && error.code === 'ERR_WORKER_CRASHED') {
      if (lost === 1) lostInFlight.delete(internal!);
      else lostInFlight.set(internal!, lost - 1);
      completeIfDone();
      return;
    }
    if (internal !== undefined) unfed(internal);
    fail(internal, error);
  };

  const feed = new SourceFeed(source);
  const pipeline = pool.openPipeline(task, (outcome, ticket) => deliver(outcome, ticket), {
    ...options.pipeline,
    keyed: true,
    // A stream value is never fed twice: an instance whose worker ended is reported, and the key starts afresh.
    rerunOnCrash: false,
    stream: { session, ...(keyIdleTimeout === undefined ? {} : { idle: keyIdleTimeout }), ...(unkeyed ? { unkeyed: true as const } : {}) },
    ...(queue && !feed.pulled ? { queue } : {}),
    ...(feed.pulled ? { dequeued: feed.pull } : {}),
    started,
    unstarted: (jobs) => {
      for (const job of jobs) unfed(job.key!);
    },
    slotEnded: (slot) => {
      fedSlots.delete(slot);
      draining?.delete(slot);
      const lost = [...instances].filter(([, instance]) => instance.slot === slot);
      for (const [internal] of lost) instances.delete(internal);
      for (const [internal, instance] of lost) reportLost(internal, instance);
      completeIfDone();
    },
  });
  const requests = new RequestSubmitter(
    pipeline,
    task,
    undefined,
    key,
    (ticket, internal) => keysByTicket.set(ticket, internal),
    unkeyed ? ONE_KEY : undefined,
  );
  const endSource = (): void => {
    sourceDone = true;
    completeIfDone();
  };
  // Unsubscribed, or the source errored: every instance is unsubscribed in its worker (its finalize runs there).
  feed.start(subscriber, requests, pipeline, queue?.size, signal, endSource, () => {
    if (!draining || draining.size > 0) for (const slot of fedSlots) streams.close(slot, session, undefined, true);
    streams.forget(session);
  });
}
