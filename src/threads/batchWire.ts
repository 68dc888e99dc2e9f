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
import { decodeFailure, isCloneable } from '../wire.js';
import { type DoneMessage, doneProblem, encodeRun, isProgressFor, type ProgressMessage } from './messages.js';
import type { WorkerPort } from './workerPort.js';

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
  /** The batch's timeout, while it runs. */
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly jobs: readonly Job[],
    private readonly done: Done,
    /** Receives progress by position in `jobs`. */
    readonly progress: ((at: number, value: unknown) => void) | undefined,
  ) {
    this.values = new Array<unknown>(jobs.length);
  }

  /** The request at `at` ends with `error` (without running, or as its part's answer). */
  fail(at: number, error: FailureError): void {
    (this.errors ??= new Array<FailureError | undefined>(this.jobs.length))[at] = error;
    (this.answered ??= new Array<boolean>(this.jobs.length).fill(false))[at] = true;
  }

  /** Hands its outcomes to the scheduler, every part having answered: the worker's time scaled to the whole batch. */
  finish(): void {
    const { jobs, values, errors, workMs, posted } = this;
    const scaled = workMs !== undefined && posted > 0 ? (workMs * jobs.length) / posted : undefined;
    this.done(errors ? { values, errors } : { values }, performance.now() - this.started, scaled);
  }

  /**
   * Ends it early (its worker died, timed out, was cancelled or the pool
   * closed): the requests still waiting end with `errorFor(job)`; those whose
   * part had already answered keep their outcome.
   */
  finishEarly(errorFor: (job: Job) => FailureError): void {
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
    private readonly port: WorkerPort,
    /** The pool's number for the worker, for the errors of its requests. */
    private readonly worker: number,
    /** Ask the worker for its heap use with each reply (the pool recycles by memory). */
    private readonly memory: boolean,
  ) {}

  /**
   * Posts `batch`. A request whose transfer list cannot be moved fails
   * alone before anything is posted; when the message cannot be posted at
   * all, the batch is posted again in parts. Returns `true` when the batch
   * already has every outcome (nothing could be posted).
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
    const failure = this.post(batch, positions);
    if (!failure) return false;
    const all = positions ?? jobs.map((_, i) => i);
    const groups = all.length === 1 ? [all] : groupsBySharedTransfer(jobs, all);
    for (const group of groups) {
      const groupFailure = groups.length === 1 ? failure : this.post(batch, group);
      if (groupFailure) for (const at of group) batch.fail(at, cloneError(jobs[at], groupFailure.error));
    }
    return batch.partsLeft === 0;
  }

  /** Posts the requests at `positions` of a batch (all when absent) as one run message; what it threw when it could not. */
  private post(batch: Batch, positions: readonly number[] | undefined): { readonly error: unknown } | undefined {
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
      this.port.postMessage(encodeRun(id, jobs, runFlags(batch.progress !== undefined, this.memory)), transfer);
    } catch (error) {
      return { error };
    }
    this.parts.set(id, { batch, positions });
    if (positions) batch.answered ??= new Array<boolean>(batch.jobs.length).fill(false);
    batch.partsLeft++;
    batch.posted += jobs.length;
    return undefined;
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
    if (!part?.batch.progress || !isProgressFor(message, part.positions?.length ?? part.batch.jobs.length)) return;
    part.batch.progress(part.positions ? part.positions[message.at] : message.at, message.value);
  }

  /** Forgets every part in flight (the worker stopped): replies to them are ignored. */
  clear(): void {
    this.parts.clear();
  }
}

/** The run message's flags: whether someone listens for progress, and whether the pool recycles by memory. */
function runFlags(progress: boolean, memory: boolean): { progress?: true; memory?: true } | undefined {
  if (!progress && !memory) return undefined;
  return { ...(progress ? { progress: true } : {}), ...(memory ? { memory: true } : {}) };
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
