/**
 * The executor seam: what the scheduler needs from whatever runs requests.
 *
 * An executor owns slots (a thread, a virtual worker, a queue's job slot).
 * The scheduler asks it to start a batch of jobs on an idle slot (`start`),
 * and gets back one outcome per job through the batch's `done`. Queueing, fairness, cancellation and
 * outcome accounting live above this seam, once, in the scheduler.
 *
 * @module
 */
import type { WorkerEvent } from './events.js';
import type { WorkerLoad } from './poolStats.js';
import type { FailureError } from './errors.js';
import type { Key } from './keys.js';
import type { SerializedError } from './serializedError.js';
import type { StreamRun } from './streamRun.js';
import type { Transferable } from './transfer.js';

/** One request as an executor sees it. */
export interface Job {
  readonly id: number;
  readonly task: string;
  readonly args: readonly unknown[];
  /** Buffers among `args` to move rather than copy. */
  readonly transfer?: readonly Transferable[];
  /** Its key, in a keyed pipeline (the task reads it as `this.key`). */
  readonly key?: Key;
}

/**
 * A slot's identity, as the executor numbers its slots: for a thread, one
 * worker thread's life (a replacement is a new slot). Keys are placed on
 * slots, and a slot that ends takes its keys' placement with it.
 */
export type SlotId = number;

/** A batch the scheduler asks an executor to start. */
export interface BatchStart {
  readonly jobs: readonly Job[];
  /** Its timeout and progress listener, if any. */
  readonly limits: RunLimits | undefined;
  /**
   * The slot's worker must run nothing else while this batch runs (a request
   * rerun after its worker died: a second death must be its own fault); an
   * executor whose slots never share a worker ignores it.
   */
  readonly alone: boolean;
  /**
   * Start it on this slot (the owner of its keys; see
   * {@link Executor.placement}); when absent the executor picks one.
   */
  readonly slot?: SlotId;
  /** It feeds a stream task's instances (see {@link Executor.streams}): its jobs' values go to their keys' instances. */
  readonly stream?: StreamRun;
}

/** What a stream session hears of its instances (`poolPipe`). */
export interface StreamListener {
  /** Instances emitted `values`, in order; `keys[i]` is the key of `values[i]`. */
  output(keys: readonly Key[], values: readonly unknown[]): void;
  /** The instance of `key` on `slot` ended: its output completed, or it failed with `error`. */
  ended(slot: SlotId, key: Key, error: SerializedError | undefined): void;
  /** Every instance of the session on `slot` has ended, after a close without keys (it drained). */
  drained(slot: SlotId): void;
}

/**
 * Stream tasks on an executor whose slots run them: a batch with `stream`
 * feeds instances on its slot; the executor routes what they emit to the
 * session's listener and closes them on demand.
 */
export interface StreamSupport {
  /** Routes what the instances of `session` emit and how they end to `listener`, until {@link StreamSupport.forget}. */
  listen(session: number, listener: StreamListener): void;
  /** Stops routing `session`'s messages (anything that arrives later is dropped). */
  forget(session: number): void;
  /**
   * Completes the inputs of `keys` of `session` on `slot`, so they flush and
   * end; without `keys` the session drains there (the listener hears
   * `drained` once all have ended); with `cancel`, unsubscribes them all.
   */
  close(slot: SlotId, session: number, keys: readonly Key[] | undefined, cancel: boolean): void;
}

/**
 * A batch's outcomes as an executor reports them: job `i` failed with
 * `errors[i]` (a typed `PoolError`) when that is set, else its result is
 * `values[i]`. Two arrays rather than an object per job: batches are large.
 */
export interface BatchOutcomes {
  readonly values: readonly unknown[];
  readonly errors?: readonly (FailureError | undefined)[];
}

/** Every job of a batch failed: `errorFor(job)` each. */
export function failAll(jobs: readonly Job[], errorFor: (job: Job) => FailureError): BatchOutcomes {
  return { values: [], errors: jobs.map(errorFor) };
}

/**
 * How a slot answers a batch: its outcomes, the time it took as the
 * scheduler saw it (ms, or frames in virtual time), and, when the slot knows
 * it, how long the batch itself ran where it ran (a thread's own measure,
 * without the trips to and from it), and how many bytes its arguments
 * copied on the way (an estimate: see `AutoBatchTuning.largeRequestBytes`).
 */
export type Done = (outcomes: BatchOutcomes, elapsedMs: number, workMs?: number, copiedBytes?: number) => void;

/**
 * A batch an executor started: what the scheduler can still do to it. Its
 * outcomes go to the `done` it was started with, once, whatever happens.
 */
export interface RunningBatch {
  /** The slot it runs on (an executor without placement may leave it undefined). */
  readonly slot: SlotId | undefined;
  /**
   * Stops the batch now (its outcomes, `TaskCancelledError`, go to `done` at
   * once): for a worker, aborts the signal of a task that reads it and
   * terminates and replaces the worker only if the task has not settled
   * within `cancelGrace`; a worker whose task never read its signal at once.
   */
  cancel(): void;
  /**
   * Optional: aborts the signals of `jobs` (some of the batch's) without
   * ending anything: a task that reads its signal stops by itself, and their
   * outcomes come as their tasks give them (a queue host's withdrawn job,
   * whose requests share batches with other jobs'). Nothing is terminated.
   */
  abortSignals?(jobs: readonly Job[]): void;
  /**
   * Optional: the pipeline whose batch this is was closed with `cancel:
   * 'abandon'` (its outcomes will be dropped). An executor whose batches can
   * still be withdrawn before they start (a queue's waiting jobs) withdraws
   * it here; either way `done` is still called once.
   */
  abandon?(): void;
}

/** After a cancel or timeout, how long a task that reads its signal may take to stop, when `RunLimits.cancelGrace` is absent (ms; frames on a virtual pool). */
export const DEFAULT_CANCEL_GRACE = 1000;

/** Limits and listeners of one run. */
export interface RunLimits {
  /** The batch (of one request) fails with `TaskTimeoutError` after this long, and its slot is replaced. */
  readonly timeout?: number | undefined;
  /** Receives progress values, by the request's position in the batch, while the batch runs. */
  readonly progress?: (at: number, value: unknown) => void;
  /**
   * After a cancel or timeout, how long (ms) a batch whose task reads its
   * signal may take to settle before its slot is terminated
   * ({@link DEFAULT_CANCEL_GRACE} when absent).
   */
  readonly cancelGrace?: number | undefined;
}

/** What an executor may tell the scheduler. */
export interface ExecutorHost {
  /** Capacity grew or a slot became idle outside a `done` call: look for work. */
  wake(): void;
  /** Nothing can ever run: every held and future request ends with `error`. */
  fail(error: FailureError): void;
  /**
   * A slot joined {@link SlotPlacement.slots} or left it (it is retiring, or
   * ended): the keys' placement is looked at again.
   */
  slotsChanged(): void;
  /**
   * `slot` ended for good (its worker crashed, was dismissed, recycled,
   * retired when idle, or the pool closed), before the `done` of any batch
   * it was running is called: the keys placed on it move to live slots.
   */
  slotEnded(slot: SlotId): void;
  /** Something happened to a worker (it started, exited, crashed, was recycled, wrote a line): for `pool.events$`. */
  workerEvent(event: WorkerEvent): void;
  /**
   * A worker sat idle for the executor's idle timeout: whether it may exit
   * now (the pool is above its least size). It asks again only after its
   * next batch.
   */
  mayRetire(): boolean;
}

/**
 * How an executor whose slots keep state (a worker's memory) places keyed
 * work: the scheduler keeps the table from key group to slot, and starts
 * each keyed batch on its keys' slot (`BatchStart.slot`). An executor
 * without it (a queue: any host runs any job) has no affinity; keyed
 * batches still run one per key at a time, anywhere.
 */
export interface SlotPlacement {
  /** The slots keys may be placed on now (live, not leaving), in a stable order. */
  slots(): readonly SlotId[];
  /**
   * Whether `start` on `slot` would take a batch now (for a batch `alone`,
   * or one that may share the worker), or bring up a slot that has no
   * thread yet.
   */
  hasRoom(slot: SlotId, alone: boolean): boolean;
  /**
   * Tells the live `slot` that it lost the keys of `groups` (the worker runs
   * its `keyReleased` for each key of them it has seen); `released` is
   * called once it has done so, or once the slot has ended. Nothing of
   * those groups runs on the slot in between.
   */
  release(slot: SlotId, groups: readonly number[], released: () => void): void;
}

/** How `batch: 'auto'` sizes batches on an executor (see `AUTO_BATCH_*` in the scheduler). */
export interface AutoBatchTuning {
  /** Only tasks faster than this (ms per request) are batched. */
  readonly maxJobMs: number;
  /** Batches aim at about this much work (ms). */
  readonly targetMs: number;
  /**
   * An `'auto'` pipeline whose requests batch (tasks faster than `maxJobMs`, or
   * not measured yet) runs at most this many batches at once and shares its
   * queue among that many. Default: the executor's capacity. An executor
   * with many cheap slots (a deep window of queue jobs) sets it lower, so a
   * burst travels in a few large batches while unbatched requests still use
   * every slot. The limit is per pipeline (each `poolMap` subscription); pipelines
   * with a fixed `batch: n` are not limited by it.
   */
  readonly spread?: number;
  /**
   * Size batches by the time the slots report the requests ran for (`Done`'s
   * `workMs`, the worker's own clock) instead of the time the scheduler saw
   * (`elapsedMs`). For slots whose round trip is far from the work: a queue
   * job's time includes Redis and the host's load.
   */
  readonly byWorkTime?: boolean;
  /**
   * Requests whose arguments copy at least this many bytes each (as `Done`'s
   * `copiedBytes` reports them) are sized by the slots' own time, as with
   * `byWorkTime`: the executor copies each one while the one before it
   * runs, so the copying the scheduler's clock saw does not add to the work,
   * and a batch of several keeps the slot busy while the next is copied.
   */
  readonly largeRequestBytes?: number;
}

/** Something that runs batches of jobs in slots. */
export interface Executor {
  /**
   * Optional: how `'auto'` batching should size batches here, when a batch
   * costs more than a thread's message (a queue's round trips). Default:
   * the scheduler's thread-tuned constants.
   */
  readonly autoBatch?: AutoBatchTuning;
  /**
   * Optional: keyed work is placed on slots (see {@link SlotPlacement}).
   * Absent, keys have no affinity.
   */
  readonly placement?: SlotPlacement;
  /** Optional: stream tasks run here (threads, virtual workers); absent on a queue. */
  readonly streams?: StreamSupport;
  /** Called once by the scheduler before anything else. */
  attach(host: ExecutorHost): void;
  /**
   * Starts `batch.jobs` on an idle slot (on `batch.slot` when given) and
   * returns the running batch, or returns `undefined` (and starts nothing)
   * when no slot takes it. The slot calls `done` once with one outcome per
   * job, in order, and the time the batch took (ms, or frames in virtual
   * time); the slot is idle again (or retired) by the time `done` is
   * called, which may be before `start` returns. With `alone`, when no slot
   * (or not `batch.slot`) is free of other work it may set one aside to
   * empty and return `undefined`; the scheduler serves other work meanwhile
   * and asks again.
   */
  start(batch: BatchStart, done: Done): RunningBatch | undefined;
  /** Live slots (starting, idle or busy; not retiring). */
  readonly capacity: number;
  /** Slots running a batch. */
  readonly busy: number;
  /** Workers starting: counted in `capacity`, not yet taking batches (0 where workers are up at once). */
  readonly starting: number;
  /** Each live worker's event loop, where the workers can say (Node worker threads); optional. */
  workerLoads?(): readonly WorkerLoad[];
  /** The task names, once known; `undefined` before. */
  readonly tasks: readonly string[] | undefined;
  /** Resolves when the first slots are ready; rejects with the start error. */
  readonly ready: Promise<void>;
  /** Adds `n` slots; resolves when they are ready. */
  createWorkers(n: number): Promise<void>;
  /** Removes up to `n` slots (idle first); busy ones finish their batch. `gone` resolves when they have exited. */
  dismissWorkers(n: number): { readonly count: number; readonly gone: Promise<void> };
  /** Stops every slot; busy batches end with `PoolClosedError`. */
  close(): Promise<void>;
  /**
   * Optional: requests waiting while the executor has no slot at all
   * (`capacity` 0: every worker dismissed) keep the process alive (a thread
   * executor's idle workers do not, so nothing else would).
   */
  readonly holdWhileQueued?: boolean;
}
