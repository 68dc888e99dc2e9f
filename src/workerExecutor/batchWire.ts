/**
 * The batch wire: how a batch the scheduler handed a worker travels to it,
 * and how its outcomes come back.
 *
 * A batch travels in one run message (one part), or, when that message
 * cannot be posted, in several: one per request, except that requests whose
 * transfer lists share an item travel together (a part posted first would
 * move it away from the others, and Node drops a message naming a moved
 * buffer). So a request whose data cannot be sent fails alone and its
 * batch-mates run. Each reply is checked, its positions mapped back to the
 * batch's, and its failures decoded (`src/wire.ts`); the batch has its
 * outcomes when every part has answered.
 *
 * @module
 */
import { DataCloneError, type FailureError, ProtocolError } from '../errors.js';
import { type BatchOutcomes, type Done, failAll, type Job } from '../executor.js';
import type { Transferable } from '../transfer.js';
import { transferProblem } from '../transferChecks.js';
import { decodeFailure, isCloneable, type StreamRun } from '../wire.js';
import { copyBytes, PART_BYTES } from './copyBytes.js';
import {
  ABORT,
  type AbortMessage,
  type AbortReason,
  type CancellableMessage,
  type DoneMessage,
  doneProblem,
  encodeRun,
  isProgressFor,
  type ProgressMessage,
  type RunFlags,
} from '../messages.js';
import type { RuntimeWorker } from './runtime.js';

/** A batch the scheduler handed a worker, and the outcomes it has gathered. */
export class Batch {
  readonly started = performance.now();
  /** Results by position. */
  readonly values: unknown[];
  /** Errors by position, once one request failed. */
  errors: (FailureError | undefined)[] | undefined;
  /** Which requests have their outcome, once it travels in several parts (or some requests were refused). */
  answered: boolean[] | undefined;
  /** Parts posted and not yet answered. */
  partsLeft = 0;
  /** Requests posted (the worker's time is scaled from them to the batch). */
  posted = 0;
  /** The worker's own time over the parts that answered (ms), when it reported one. */
  workMs: number | undefined;
  /** Bytes its arguments copied into its run messages (an estimate: `copyBytes`). */
  copiedBytes = 0;
  /** The batch's timeout, or its grace after a cancel, while it runs (set by {@link Batch.expireAfter}, cleared when it ends, however it ends). */
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A task of it read its request's signal (its worker said so): a cancel aborts the signal and waits before it terminates. */
  cancellable = false;
  /** Its outcomes were handed to the scheduler: after a cooperative cancel, before its worker answered, whose answer then only frees the worker. */
  private delivered = false;

  constructor(
    readonly jobs: readonly Job[],
    private readonly done: Done,
    /** Receives progress by position in `jobs`. */
    readonly progress: ((at: number, value: unknown) => void) | undefined,
    /** It runs alone on its worker (a rerun after a crash): nothing else may join it there. */
    readonly alone = false,
    /** It feeds a stream task's instances (`poolPipe`). */
    readonly stream?: StreamRun,
    /** After a cancel, a timeout or a close, how long (ms) its task may take to stop once its signal is aborted, if it reads it. */
    readonly cancelGrace = 0,
  ) {
    this.values = new Array<unknown>(jobs.length);
  }

  /** Whether a cancel ends it by aborting its signal and waiting for it (its task reads its signal, it has a grace, it has not ended). */
  get stopsByItself(): boolean {
    return this.cancellable && this.cancelGrace > 0 && !this.delivered;
  }

  /** The request at `at` ends with `error` (without running, or as its part's answer). */
  fail(at: number, error: FailureError): void {
    (this.errors ??= new Array<FailureError | undefined>(this.jobs.length))[at] = error;
    (this.answered ??= new Array<boolean>(this.jobs.length).fill(false))[at] = true;
  }

  /** Calls `expire` after `ms` unless the batch has ended by then (a timer set before is cleared). */
  expireAfter(ms: number, expire: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(expire, ms);
  }

  /** Whether its outcomes were handed to the scheduler already (it was cancelled, and its worker has not answered yet). */
  get settled(): boolean {
    return this.delivered;
  }

  /** Its worker stopped under it: its timeout no longer runs (it ends with `finishEarly` next). */
  stopTimer(): void {
    clearTimeout(this.timer);
  }

  /** Hands its outcomes to the scheduler, every part having answered: the worker's time scaled to the whole batch. */
  finish(): void {
    clearTimeout(this.timer);
    if (this.delivered) return;
    this.delivered = true;
    const { jobs, values, errors, workMs, posted } = this;
    const scaled = workMs !== undefined && posted > 0 ? (workMs * jobs.length) / posted : undefined;
    this.done(errors ? { values, errors } : { values }, performance.now() - this.started, scaled, this.copiedBytes);
  }

  /**
   * Ends it early (its worker died, timed out, was cancelled or the pool
   * closed): the requests still waiting end with `errorFor(job)`; those whose
   * part had already answered keep their outcome.
   */
  finishEarly(errorFor: (job: Job) => FailureError): void {
    clearTimeout(this.timer);
    if (this.delivered) return;
    this.delivered = true;
    const { answered, jobs } = this;
    const outcomes: BatchOutcomes = answered
      ? { values: this.values, errors: jobs.map((job, i) => (answered[i] ? this.errors?.[i] : errorFor(job))) }
      : failAll(jobs, errorFor);
    this.done(outcomes, performance.now() - this.started);
  }
}

/** What a worker's reply told about its batch and about the worker. */
export interface Reply {
  readonly batch: Batch;
  /** Every part of the batch has answered: it has all its outcomes. */
  readonly complete: boolean;
  /** The reply was malformed (its requests failed with `ProtocolError`): the worker can no longer be trusted. */
  readonly untrusted: boolean;
  /** The worker's V8 heap in use after the part, when the run message asked for it. */
  readonly heapUsed: number | undefined;
}

/** One run message in flight: its batch, and the positions in the batch of the requests it carries (all, in order, when absent). */
interface Part {
  readonly batch: Batch;
  readonly positions: readonly number[] | undefined;
}

/** Ids of run messages: each reply names the message it answers. */
let lastPartId = 0;

/** The batches in flight on one worker's port. */
export class BatchWire {
  /** Run messages posted and not yet answered, by id. */
  private readonly parts = new Map<number, Part>();

  constructor(
    private readonly port: RuntimeWorker,
    /** The pool's number for the worker, for the errors of its requests. */
    private readonly worker: number,
    /** Ask the worker for its heap use with each reply (the pool recycles by memory). */
    private readonly memory: boolean,
  ) {}

  /**
   * Posts `batch`. A request whose transfer list cannot be moved fails
   * alone before anything is posted. The rest travel in one run message,
   * or in several when their arguments copy more than {@link PART_BYTES}
   * (each part runs after the one before it, so the worker starts on the
   * first while the next is copied); a part that cannot be posted is posted
   * again request by request. Returns `true` when the batch already has
   * every outcome (nothing could be posted).
   */
  send(batch: Batch): boolean {
    const { jobs } = batch;
    for (let i = 0; i < jobs.length; i++) {
      const list = jobs[i].transfer;
      const problem = list && transferProblem(list);
      if (problem) batch.fail(i, new DataCloneError(jobs[i].id, 'arguments', problem));
    }
    const refused = batch.errors;
    const positions = refused ? jobs.flatMap((_, i) => (refused[i] ? [] : [i])) : undefined;
    if (positions?.length === 0) return true;
    let follows: number | undefined;
    const { parts, bytes } = partsByBytes(jobs, positions);
    batch.copiedBytes = bytes;
    for (const part of parts) {
      const posted = this.post(batch, part, follows);
      if (typeof posted === 'number') {
        follows = posted;
        continue;
      }
      const all = part ?? jobs.map((_, i) => i);
      const groups = all.length === 1 ? [all] : groupsBySharedTransfer(jobs, all);
      for (const group of groups) {
        const result = groups.length === 1 ? posted : this.post(batch, group, follows);
        if (typeof result === 'number') follows = result;
        else for (const at of group) batch.fail(at, cloneError(jobs[at], result.error));
      }
    }
    return batch.partsLeft === 0;
  }

  /**
   * Posts the requests at `positions` of a batch (all when absent) as one
   * run message, to run after the message `follows` when given; its id, or
   * what posting it threw.
   */
  private post(batch: Batch, positions: readonly number[] | undefined, follows: number | undefined): number | { readonly error: unknown } {
    const jobs = positions ? positions.map((at) => batch.jobs[at]) : batch.jobs;
    // A buffer that several requests of the message share moves once (a list naming it twice is refused).
    let transfer: Transferable[] | undefined;
    for (const job of jobs) {
      if (!job.transfer) continue;
      transfer ??= [];
      for (const item of job.transfer) if (!transfer.includes(item)) transfer.push(item);
    }
    const id = ++lastPartId;
    try {
      this.port.post(encodeRun(id, jobs, runFlags(batch.progress !== undefined, this.memory, follows, batch.stream)), transfer);
    } catch (error) {
      return { error };
    }
    this.parts.set(id, { batch, positions });
    if (positions) batch.answered ??= new Array<boolean>(batch.jobs.length).fill(false);
    batch.partsLeft++;
    batch.posted += jobs.length;
    return id;
  }

  /**
   * A done message: its part's outcomes go into its batch. The reply is
   * checked first: a malformed one (a module posting its own messages under
   * our tag, or a broken worker) fails the part's requests with
   * `ProtocolError`. `undefined` when it answers no part in flight.
   */
  receive(message: DoneMessage): Reply | undefined {
    const id = message.batch;
    const part = typeof id === 'number' ? this.parts.get(id) : undefined;
    if (!part) return undefined;
    this.parts.delete(id);
    const { batch, positions } = part;
    batch.partsLeft--;
    const { jobs } = batch;
    const count = positions ? positions.length : jobs.length;
    const position = (at: number): number => (positions ? positions[at] : at);
    const { refused } = message;
    const problem = refused === undefined ? doneProblem(message, count) : typeof refused === 'string' ? refused : 'no reason given';
    if (problem) {
      for (let at = 0; at < count; at++) batch.fail(position(at), new ProtocolError('thread', problem, jobs[position(at)].id, refused !== undefined));
      return { batch, complete: batch.partsLeft === 0, untrusted: true, heapUsed: undefined };
    }
    const { values, failures, ms } = message;
    if (positions) for (let at = 0; at < count; at++) batch.values[positions[at]] = values[at];
    else for (let at = 0; at < count; at++) batch.values[at] = values[at];
    if (batch.answered) for (let at = 0; at < count; at++) batch.answered[position(at)] = true;
    if (failures) {
      for (const failure of failures) {
        const at = position(failure.at);
        batch.fail(at, decodeFailure(jobs[at], failure, this.worker));
      }
    }
    if (ms !== undefined) batch.workMs = (batch.workMs ?? 0) + ms;
    return { batch, complete: batch.partsLeft === 0, untrusted: false, heapUsed: message.heapUsed };
  }

  /** A progress message: the value goes to its batch's listener, by the request's position in the batch. */
  receiveProgress(message: ProgressMessage): void {
    const part = typeof message.batch === 'number' ? this.parts.get(message.batch) : undefined;
    if (!part?.batch.progress || part.batch.settled || !isProgressFor(message, part.positions?.length ?? part.batch.jobs.length)) return;
    part.batch.progress(part.positions ? part.positions[message.at] : message.at, message.value);
  }

  /** A task of the run message `message.batch` read its signal: its batch can be cancelled cooperatively. */
  receiveCancellable(message: CancellableMessage): void {
    const part = typeof message.batch === 'number' ? this.parts.get(message.batch) : undefined;
    if (part) part.batch.cancellable = true;
  }

  /** Asks the worker to abort the requests of `batch` (every part of it not yet answered) for `reason`. */
  abort(batch: Batch, reason: AbortReason): void {
    const batches: number[] = [];
    for (const [id, part] of this.parts) if (part.batch === batch) batches.push(id);
    if (batches.length === 0) return;
    try {
      this.port.post({ type: ABORT, batches, reason } satisfies AbortMessage);
    } catch {
      // A worker that cannot take a message is on its way out: the grace timer terminates it.
    }
  }

  /** Asks the worker to abort the signals of `jobs` of `batch` (those of its parts not yet answered); the rest of the batch runs on. */
  abortJobs(batch: Batch, jobs: readonly Job[]): void {
    const wanted = new Set(jobs);
    for (const [id, part] of this.parts) {
      if (part.batch !== batch) continue;
      const positions = part.positions ?? batch.jobs.map((_, i) => i);
      const at: number[] = [];
      positions.forEach((position, i) => wanted.has(batch.jobs[position]) && at.push(i));
      if (at.length === 0) continue;
      try {
        this.port.post({ type: ABORT, batches: [id], reason: 'cancel', at } satisfies AbortMessage);
      } catch {
        // A worker that cannot take a message is on its way out: its requests end with it.
      }
    }
  }

  /** Forgets every part in flight (the worker stopped): replies to them are ignored. */
  clear(): void {
    this.parts.clear();
  }
}

/** The run message's flags: whether someone listens for progress, whether the pool recycles by memory, the part it follows, the stream it feeds. */
function runFlags(progress: boolean, memory: boolean, follows: number | undefined, stream: StreamRun | undefined): RunFlags | undefined {
  if (!progress && !memory && follows === undefined && stream === undefined) return undefined;
  return {
    ...(progress ? { progress: true } : {}),
    ...(memory ? { memory: true } : {}),
    ...(follows === undefined ? {} : { follows }),
    ...(stream === undefined ? {} : { stream }),
  };
}

/**
 * The run messages the requests at `positions` (all when absent) travel
 * in: one (`[positions]`) unless their arguments copy more than
 * {@link PART_BYTES} in all; then consecutive runs of requests up to about
 * that size each, a larger request alone. Requests whose transfer lists
 * share an item stay in one message (the first to be posted would move it
 * away from the others). With the bytes they copy in all.
 */
function partsByBytes(jobs: readonly Job[], positions: readonly number[] | undefined): { parts: (readonly number[] | undefined)[]; bytes: number } {
  const count = positions ? positions.length : jobs.length;
  const sizeAt = (k: number): number => {
    const job = jobs[positions ? positions[k] : k];
    return copyBytes(job.args, job.transfer);
  };
  let total = 0;
  for (let k = 0; k < count; k++) total += sizeAt(k);
  if (count === 1 || total <= PART_BYTES || sharesTransfer(jobs, positions)) return { parts: [positions], bytes: total };
  // Only batches of large arguments get here: sizing each request again costs little beside copying it.
  const parts: number[][] = [];
  let part: number[] = [];
  let bytes = 0;
  for (let k = 0; k < count; k++) {
    const size = sizeAt(k);
    if (part.length > 0 && bytes + size > PART_BYTES) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(positions ? positions[k] : k);
    bytes += size;
  }
  parts.push(part);
  return { parts, bytes: total };
}

/** Whether two of the requests (at `positions`, or all) name a common item in their transfer lists. */
function sharesTransfer(jobs: readonly Job[], positions: readonly number[] | undefined): boolean {
  const seen = new Set<Transferable>();
  const count = positions ? positions.length : jobs.length;
  for (let k = 0; k < count; k++) {
    const list = jobs[positions ? positions[k] : k].transfer;
    if (!list) continue;
    const own = new Set(list);
    for (const item of own) {
      if (seen.has(item)) return true;
      seen.add(item);
    }
  }
  return false;
}

/**
 * The requests at `positions`, in groups that share no transferable: each
 * request alone, except those whose transfer lists name a common item.
 */
function groupsBySharedTransfer(jobs: readonly Job[], positions: readonly number[]): number[][] {
  const groupOf = new Map<Transferable, number[]>();
  const groups: number[][] = [];
  for (const at of positions) {
    let group: number[] | undefined;
    for (const item of jobs[at].transfer ?? []) {
      const other = groupOf.get(item);
      if (!other || other === group) continue;
      if (!group) {
        group = other;
        continue;
      }
      // Two groups meet in this request: merge the later into the earlier.
      const [kept, merged] = groups.indexOf(other) < groups.indexOf(group) ? [other, group] : [group, other];
      kept.push(...merged);
      groups.splice(groups.indexOf(merged), 1);
      for (const [key, value] of groupOf) if (value === merged) groupOf.set(key, kept);
      group = kept;
    }
    if (!group) {
      group = [];
      groups.push(group);
    }
    group.push(at);
    for (const item of jobs[at].transfer ?? []) groupOf.set(item, group);
  }
  for (const group of groups) group.sort((a, b) => a - b);
  return groups;
}

/** A request's arguments could not be posted: a `DataCloneError` naming the first argument that cannot be cloned, when one cannot. */
function cloneError(job: Job, error: unknown): DataCloneError {
  const position = job.transfer ? -1 : job.args.findIndex((arg) => !isCloneable(arg));
  return new DataCloneError(job.id, 'arguments', error, position === -1 ? undefined : position);
}
